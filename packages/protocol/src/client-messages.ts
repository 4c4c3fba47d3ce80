// Requests a client may send after hello. Clients submit and observe; they never run jobs.
import { z } from "zod";
import { JobId, JobSpec, JobState, ListPlace, QueueName } from "./job.js";
import { MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, MAX_LIST_LIMIT } from "./limits.js";
import { RequestId } from "./request-id.js";

// {"id":2,"type":"submit","jobs":[{"durationMs":500}],"watch":true}
export const Submit = z.strictObject({
  id: RequestId,
  type: z.literal("submit"),
  jobs: z.array(JobSpec).min(1).max(MAX_JOBS_PER_MESSAGE),
  /** Idempotency key: a resend with the same key returns the first submission's ids. */
  key: z.string().min(1).max(MAX_ID_CHARS).optional(),
  /** Push a `settled` message to this connection when each of these jobs settles. */
  watch: z.boolean().optional(),
});
export type Submit = z.infer<typeof Submit>;

// {"id":3,"type":"status","jobId":1}
export const Status = z.strictObject({ id: RequestId, type: z.literal("status"), jobId: JobId });
export type Status = z.infer<typeof Status>;

// {"id":4,"type":"watch","jobIds":[1,2]}
export const Watch = z.strictObject({
  id: RequestId,
  type: z.literal("watch"),
  jobIds: z.array(JobId).min(1).max(MAX_JOBS_PER_MESSAGE),
});
export type Watch = z.infer<typeof Watch>;

// {"id":5,"type":"cancel","jobId":1}
export const Cancel = z.strictObject({ id: RequestId, type: z.literal("cancel"), jobId: JobId });
export type Cancel = z.infer<typeof Cancel>;

// {"id":6,"type":"retry","jobId":1}
export const Retry = z.strictObject({ id: RequestId, type: z.literal("retry"), jobId: JobId });
export type Retry = z.infer<typeof Retry>;

// {"id":7,"type":"list","state":"failed","limit":50}
export const List = z.strictObject({
  id: RequestId,
  type: z.literal("list"),
  state: JobState,
  queue: QueueName.optional(),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  /** Page on: only jobs after this place in the state's listing (a previous page's `next`). */
  after: ListPlace.optional(),
});
export type List = z.infer<typeof List>;

// {"id":8,"type":"stats"}
export const Stats = z.strictObject({ id: RequestId, type: z.literal("stats") });
export type Stats = z.infer<typeof Stats>;

/** Without it, a queue that does not exist is refused with unknown-queue (a typo makes no phantom queue). */
const CreateQueue = z.boolean().optional();

// {"id":9,"type":"pause","queue":"default"}   {"id":9,"type":"pause","queue":"night","create":true}
export const Pause = z.strictObject({ id: RequestId, type: z.literal("pause"), queue: QueueName, create: CreateQueue });
export type Pause = z.infer<typeof Pause>;

// {"id":10,"type":"resume","queue":"default"}
export const Resume = z.strictObject({ id: RequestId, type: z.literal("resume"), queue: QueueName, create: CreateQueue });
export type Resume = z.infer<typeof Resume>;

export const clientRequestSchemas = [Submit, Status, Watch, Cancel, Retry, List, Stats, Pause, Resume] as const;
