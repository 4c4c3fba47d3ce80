// The core's settings and their defaults; the queue's flags fill these in.
import type { IdempotencyLimits } from "./idempotency.js";
import type { MemoryLimits } from "./memory-budget.js";
import type { RetentionLimits } from "./retention.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry-policy.js";

export interface CoreConfig {
  /** A worker not heard from for this long is lost; its jobs go back to pending. */
  heartbeatTimeoutMs: number;
  /** Run timeout of an attempt unless the job sets its own. */
  defaultTimeoutMs: number;
  defaultMaxAttempts: number;
  retry: RetryPolicy;
  /** Pending + delayed + running jobs at most; past it submissions are refused. */
  maxUnfinishedJobs: number;
  /** Distinct queue names in use at once; an unused queue is forgotten and stops counting. */
  maxQueues: number;
  retention: RetentionLimits;
  idempotency: IdempotencyLimits;
  recentEvents: number;
  memory: MemoryLimits;
  /** Assignments in one `assign` at most, in encoded bytes: what fits a frame beside its envelope. */
  maxAssignBytes: number;
  /** Keep a change log for the journal (`takeChanges`); off, no record is built. */
  recordChanges: boolean;
  /** The first lease number this run may hand out: the shell's floor, so that no lease of an
   * earlier run is ever handed out again (docs/protocol.md, "Lease numbers"). */
  firstLease: number;
}

export const defaultCoreConfig: CoreConfig = {
  heartbeatTimeoutMs: 800,
  defaultTimeoutMs: 60_000,
  defaultMaxAttempts: 5,
  retry: defaultRetryPolicy,
  maxUnfinishedJobs: 2_000_000,
  maxQueues: 1_000,
  retention: { maxJobs: 100_000, maxAgeMs: 3600_000 },
  idempotency: { maxKeys: 100_000, windowMs: 10 * 60_000 },
  recentEvents: 50,
  memory: { maxBytes: 1024 * 1024 * 1024, maxResultBytes: 64 * 1024 },
  maxAssignBytes: 1024 * 1024 - 1024,
  recordChanges: false,
  firstLease: 1,
};
