// Requests a worker may send after hello. Every report names the lease it holds, so a late
// report from a worker that lost its lease is refused instead of overwriting a newer attempt.
import { z } from "zod";
import { JobId, JobType, Lease } from "./job.js";
import { MAX_ERROR_CHARS, MAX_FETCH, MAX_JOBS_PER_MESSAGE, MAX_SKIP_TYPES } from "./limits.js";
import { RequestId } from "./request-id.js";

// {"id":3,"type":"heartbeat"}
export const Heartbeat = z.strictObject({ id: RequestId, type: z.literal("heartbeat") });
export type Heartbeat = z.infer<typeof Heartbeat>;

// {"id":4,"type":"fetch","max":1}   answered by `assign` with the same id once a job is there
// {"id":4,"type":"fetch","max":1,"skipTypes":["invoice"]}   …with no job of these types in it
export const Fetch = z.strictObject({
  id: RequestId,
  type: z.literal("fetch"),
  max: z.number().int().min(1).max(MAX_FETCH),
  /** Job types this worker has no handler for: the queue leaves them for other workers. */
  skipTypes: z.array(JobType).max(MAX_SKIP_TYPES).optional(),
});
export type Fetch = z.infer<typeof Fetch>;

// {"id":5,"type":"withdraw"}   drops this worker's unanswered fetches (before shutting down)
export const Withdraw = z.strictObject({ id: RequestId, type: z.literal("withdraw") });
export type Withdraw = z.infer<typeof Withdraw>;

export const CompletedJob = z.strictObject({ jobId: JobId, lease: Lease, result: z.unknown().optional() });
export type CompletedJob = z.infer<typeof CompletedJob>;

// {"id":6,"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
export const Complete = z.strictObject({
  id: RequestId,
  type: z.literal("complete"),
  jobs: z.array(CompletedJob).min(1).max(MAX_JOBS_PER_MESSAGE),
});
export type Complete = z.infer<typeof Complete>;

export const FailedJob = z.strictObject({
  jobId: JobId,
  lease: Lease,
  error: z.string().max(MAX_ERROR_CHARS),
  /** Skip the remaining attempts: the job goes straight to `failed`. */
  permanent: z.boolean().optional(),
});
export type FailedJob = z.infer<typeof FailedJob>;

// {"id":7,"type":"fail","jobs":[{"jobId":1,"lease":1,"error":"boom"}]}
export const Fail = z.strictObject({
  id: RequestId,
  type: z.literal("fail"),
  jobs: z.array(FailedJob).min(1).max(MAX_JOBS_PER_MESSAGE),
});
export type Fail = z.infer<typeof Fail>;

// {"id":8,"type":"extend","jobId":1,"lease":1}   restarts the attempt's run timeout
export const Extend = z.strictObject({ id: RequestId, type: z.literal("extend"), jobId: JobId, lease: Lease });
export type Extend = z.infer<typeof Extend>;

// {"id":9,"type":"progress","jobId":1,"lease":1,"percent":40,"message":"resizing"}
export const ReportProgress = z.strictObject({
  id: RequestId,
  type: z.literal("progress"),
  jobId: JobId,
  lease: Lease,
  percent: z.number().min(0).max(100),
  message: z.string().max(200).optional(),
});
export type ReportProgress = z.infer<typeof ReportProgress>;

export const ReleasedJob = z.strictObject({ jobId: JobId, lease: Lease });
export type ReleasedJob = z.infer<typeof ReleasedJob>;

// {"id":10,"type":"release","jobs":[{"jobId":1,"lease":1}]}   hands jobs back unrun; no attempt is used up
export const Release = z.strictObject({
  id: RequestId,
  type: z.literal("release"),
  jobs: z.array(ReleasedJob).min(1).max(MAX_JOBS_PER_MESSAGE),
});
export type Release = z.infer<typeof Release>;

export const workerRequestSchemas = [Heartbeat, Fetch, Withdraw, Complete, Fail, Extend, ReportProgress, Release] as const;
