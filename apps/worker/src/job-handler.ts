// What a job handler sees and returns: the contract between the worker library and the code
// that does the work. Handlers know nothing of sockets, leases on the wire or batching.
import type { JobId, JobType, Lease, QueueName } from "@djq/protocol";
import type { Logger } from "@djq/runtime";

/** One attempt of one job, as handed to a handler. */
export interface Job<P = unknown> {
  id: JobId;
  type: JobType;
  queue: QueueName;
  /** Already checked against the job type's schema when the worker was given one. */
  payload: P;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  maxAttempts: number;
  /** The fencing token of this attempt: reports naming an older lease are refused by the queue. */
  lease: Lease;
  durationMs: number;
  /** How long the attempt may go without a report or an `extend` before the queue takes it back. */
  timeoutMs: number;
}

export interface JobContext {
  /**
   * Aborts when the queue abandons this attempt (timed out, cancelled, lease revoked), when the
   * lease is found lost otherwise, or when the worker stops and its grace period has run out.
   * Work done after it fires is thrown away.
   */
  signal: AbortSignal;
  workerId: string;
  /** Reports progress (0–100) and restarts the attempt's run timeout. Never rejects. */
  progress(percent: number, message?: string): Promise<void>;
  /** Restarts the attempt's run timeout without reporting progress. Never rejects. */
  extend(): Promise<void>;
  /** The worker's logger, with jobId and lease added to every line. */
  logger: Logger;
}

/**
 * Returns the job's result (JSON-serialisable, or undefined for none). Throwing fails the attempt;
 * throwing a PermanentJobError fails the whole job.
 */
// `any` so a handler may declare its payload type (`(job: Job<Email>) => …`) and still be stored
// in one map; the job type's zod schema is what makes that declaration true at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandler<P = any, R = unknown> = (job: Job<P>, ctx: JobContext) => Promise<R> | R;
