// Everything the queue sends. Replies echo the request's `id`; pushes (`settled`, `progress`,
// `abandon`, `shutdown`) carry none.
import { z } from "zod";
import { AttemptOutcome, Assignment, JobId, JobState, JobView, Lease, ListPlace, Progress, QueueName, TerminalState } from "./job.js";
import { ErrorCode, errorCodes } from "./error-codes.js";
import { RequestId } from "./request-id.js";
import { describeIssues } from "./issue-text.js";
import { acceptHotServerMessage } from "./hot-server-messages.js";

export const Welcome = z.object({
  id: RequestId,
  type: z.literal("welcome"),
  version: z.number().int(),
  /** Differs on every start of the queue process: a change means memory was lost. */
  queueRunId: z.string(),
  heartbeatIntervalMs: z.number().int(),
  heartbeatTimeoutMs: z.number().int(),
  maxFrameBytes: z.number().int(),
  /**
   * Workers: binds a liveness connection (hello role "liveness") to this session. Beats on either
   * connection keep the session; a queue without liveness connections leaves it out.
   */
  livenessToken: z.string().optional(),
});
export type Welcome = z.infer<typeof Welcome>;

export const Submitted = z.object({ id: RequestId, type: z.literal("submitted"), jobIds: z.array(JobId) });
export type Submitted = z.infer<typeof Submitted>;

export const JobReply = z.object({ id: RequestId, type: z.literal("job"), job: JobView });
export type JobReply = z.infer<typeof JobReply>;

export const JobsReply = z.object({
  id: RequestId,
  type: z.literal("jobs"),
  jobs: z.array(JobView),
  /** The place of the last job shown: pass as `after` to get the next page; absent on the last page. */
  next: ListPlace.optional(),
});
export type JobsReply = z.infer<typeof JobsReply>;

export const StateCounts = z.object({
  delayed: z.number().int(),
  pending: z.number().int(),
  running: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
export type StateCounts = z.infer<typeof StateCounts>;

export const Totals = z.object({
  submitted: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  reassigned: z.number().int(),
  retried: z.number().int(),
  staleRefused: z.number().int(),
});
export type Totals = z.infer<typeof Totals>;

export const WorkerView = z.object({
  workerId: z.string(),
  queues: z.array(QueueName),
  connectedAt: z.number(),
  lastSeenAt: z.number(),
  waiting: z.boolean(),
  running: z.array(
    z.object({
      jobId: JobId,
      lease: Lease,
      attempt: z.number().int(),
      startedAt: z.number(),
      progress: Progress.optional(),
    }),
  ),
});
export type WorkerView = z.infer<typeof WorkerView>;

export const RecentEvent = z.object({
  at: z.number(),
  kind: z.enum(["reassigned", "failed", "retry-scheduled", "timed-out", "worker-lost", "cancelled"]),
  jobId: JobId.optional(),
  workerId: z.string().optional(),
  outcome: AttemptOutcome.optional(),
  reason: z.string(),
});
export type RecentEvent = z.infer<typeof RecentEvent>;

export const QueueStats = z.object({ counts: StateCounts, paused: z.boolean() });
export type QueueStats = z.infer<typeof QueueStats>;

export const MemoryUse = z.object({ heldBytes: z.number().int(), limitBytes: z.number().int() });
export type MemoryUse = z.infer<typeof MemoryUse>;

export const StatsReply = z.object({
  id: RequestId,
  type: z.literal("stats"),
  at: z.number(),
  queueRunId: z.string(),
  counts: StateCounts,
  totals: Totals,
  queues: z.record(z.string(), QueueStats),
  workers: z.array(WorkerView),
  /** Workers left out of `workers` so that the reply fits in one frame; absent when none were. */
  workersNotShown: z.number().int().min(1).optional(),
  /** Completions in each of the last 60 seconds, oldest first; the last entry is the current, unfinished second. */
  completedPerSecond: z.array(z.number().int()),
  oldestPendingAgeMs: z.number().optional(),
  recent: z.array(RecentEvent),
  /** Job data held (payloads, results and a per-job estimate of the records) against the memory budget. */
  memory: MemoryUse,
});
export type StatsReply = z.infer<typeof StatsReply>;

export const Ok = z.object({ id: RequestId, type: z.literal("ok") });
export type Ok = z.infer<typeof Ok>;

export const Refusal = z.object({ jobId: JobId, code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]), message: z.string() });
export type Refusal = z.infer<typeof Refusal>;

/** The answer to complete, fail and release: every item was accepted except those refused. */
export const Ack = z.object({ id: RequestId, type: z.literal("ack"), refused: z.array(Refusal) });
export type Ack = z.infer<typeof Ack>;

export const Assign = z.object({ id: RequestId, type: z.literal("assign"), jobs: z.array(Assignment) });
export type Assign = z.infer<typeof Assign>;

export const HeartbeatReply = z.object({ id: RequestId, type: z.literal("heartbeat") });
export type HeartbeatReply = z.infer<typeof HeartbeatReply>;

export const AbandonReason = z.enum(["timed-out", "cancelled", "lease-revoked"]);
export type AbandonReason = z.infer<typeof AbandonReason>;

export const Abandon = z.object({ type: z.literal("abandon"), jobId: JobId, lease: Lease, reason: AbandonReason });
export type Abandon = z.infer<typeof Abandon>;

export const SettledJob = z.object({
  jobId: JobId,
  state: TerminalState,
  result: z.unknown().optional(),
  error: z.string().optional(),
});
export type SettledJob = z.infer<typeof SettledJob>;

/** Watched jobs that settled, batched: everything that settled in one turn goes in one push. */
export const Settled = z.object({ type: z.literal("settled"), jobs: z.array(SettledJob).min(1) });
export type Settled = z.infer<typeof Settled>;

/** A watched job's running attempt reported progress: pushed to its watchers as it happens. */
export const JobProgress = z.object({ type: z.literal("progress"), jobId: JobId, ...Progress.shape });
export type JobProgress = z.infer<typeof JobProgress>;

export const Shutdown = z.object({ type: z.literal("shutdown"), graceMs: z.number().int() });
export type Shutdown = z.infer<typeof Shutdown>;

export const ErrorReply = z.object({
  id: RequestId.optional(),
  type: z.literal("error"),
  code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

export const ServerMessage = z.discriminatedUnion("type", [
  Welcome,
  Submitted,
  JobReply,
  JobsReply,
  StatsReply,
  Ok,
  Ack,
  Assign,
  HeartbeatReply,
  Abandon,
  Settled,
  JobProgress,
  Shutdown,
  ErrorReply,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export { ErrorCode };

export type ParsedServerMessage = { ok: true; message: ServerMessage } | { ok: false; message: string };

// A known type goes straight to its own schema, as requests do: the union would find the same
// one, but on every message it is a few µs more of a worker's path from assign to start.
const serverSchemaByType = new Map<unknown, z.ZodType<ServerMessage>>(
  ServerMessage.options.map((schema) => [schema.shape.type.value, schema as z.ZodType<ServerMessage>]),
);

/** For workers and clients: a frame from the queue, checked against the schemas. */
export function parseServerMessage(frame: string): ParsedServerMessage {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${(error as Error).message}` };
  }
  const hot = acceptHotServerMessage(value);
  if (hot !== undefined) return { ok: true, message: hot };
  const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
  const parsed = (serverSchemaByType.get(type) ?? ServerMessage).safeParse(value);
  if (!parsed.success) return { ok: false, message: describeIssues(parsed.error) };
  return { ok: true, message: parsed.data };
}
