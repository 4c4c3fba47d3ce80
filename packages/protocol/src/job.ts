// The job as it travels: what a client submits, what a worker is handed, and what a status
// look-up shows. The queue's internal record lives in @djq/core, not here.
import { z } from "zod";
import {
  MAX_ATTEMPTS,
  MAX_DELAY_MS,
  MAX_DURATION_MS,
  MAX_PRIORITY,
  MAX_TIMEOUT_MS,
  MIN_PRIORITY,
} from "./limits.js";

// zod's int() is the safe-integer range already: a `.max(MAX_SAFE_INTEGER)` would only be a
// second check per id, on every message.
export const JobId = z.number().int().min(1);
export type JobId = z.infer<typeof JobId>;

/** A place in one state's listing, oldest first: a `list` page's cursor, not a job id. */
export const ListPlace = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export type ListPlace = z.infer<typeof ListPlace>;

/** A fencing token: unique per assignment across the queue process, increasing. */
export const Lease = z.number().int().min(1);
export type Lease = z.infer<typeof Lease>;

export const QueueName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "queue names use letters, digits and _ . : -");
export type QueueName = z.infer<typeof QueueName>;

export const JobType = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "job types use letters, digits and _ . : -");
export type JobType = z.infer<typeof JobType>;

export const JobSpec = z.strictObject({
  queue: QueueName.optional(),
  type: JobType.optional(),
  /** How long the built-in `sleep` handler runs the job. */
  durationMs: z.number().int().min(0).max(MAX_DURATION_MS).optional(),
  payload: z.unknown().optional(),
  /** 1 (lowest) to 9 (highest); jobs of one level go first-come-first-served. */
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).optional(),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  /** Epoch milliseconds before which the job is not assigned. */
  runAt: z.number().int().min(0).max(8.64e15).optional(),
  /** Run timeout: how long one attempt may go without completing, failing or extending. */
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional(),
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const JobState = z.enum(["delayed", "pending", "running", "completed", "failed", "cancelled"]);
export type JobState = z.infer<typeof JobState>;

/** The states a job settles in: a watcher is told once it reaches one. The one list of them. */
export const TerminalState = z.enum(["completed", "failed", "cancelled"]);
export type TerminalState = z.infer<typeof TerminalState>;
export const terminalStates: readonly TerminalState[] = TerminalState.options;

export function isTerminal(state: JobState): state is TerminalState {
  return state === "completed" || state === "failed" || state === "cancelled";
}

export const AttemptOutcome = z.enum([
  "running",
  "completed",
  "failed",
  "worker-lost",
  "timed-out",
  "cancelled",
  "released",
]);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

export const AttemptView = z.object({
  attempt: z.number().int(),
  lease: Lease,
  workerId: z.string(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  outcome: AttemptOutcome,
  error: z.string().optional(),
});
export type AttemptView = z.infer<typeof AttemptView>;

export const Progress = z.object({
  percent: z.number().min(0).max(100),
  message: z.string().max(200).optional(),
});
export type Progress = z.infer<typeof Progress>;

export const JobView = z.object({
  jobId: JobId,
  queue: QueueName,
  type: JobType,
  state: JobState,
  priority: z.number().int(),
  durationMs: z.number().int(),
  payload: z.unknown().optional(),
  submittedAt: z.number(),
  runAt: z.number().optional(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  timeoutMs: z.number().int(),
  workerId: z.string().optional(),
  lease: Lease.optional(),
  progress: Progress.optional(),
  result: z.unknown().optional(),
  error: z.string().optional(),
  settledAt: z.number().optional(),
  history: z.array(AttemptView),
});
export type JobView = z.infer<typeof JobView>;

/** What a worker is handed: everything it needs to run one attempt. */
export const Assignment = z.object({
  jobId: JobId,
  lease: Lease,
  attempt: z.number().int().min(1),
  queue: QueueName,
  type: JobType,
  durationMs: z.number().int().min(0),
  payload: z.unknown().optional(),
  timeoutMs: z.number().int(),
  maxAttempts: z.number().int(),
});
export type Assignment = z.infer<typeof Assignment>;
