// What the core asks its shell to do, as data. The core never touches a socket: the broker
// performs these in order after each call.
import type { AbandonReason, Assignment, JobState } from "@djq/protocol";

export type Effect =
  /** Answer a worker's fetch with these jobs. */
  | { type: "assign"; workerId: string; requestId: unknown; jobs: Assignment[] }
  /** Tell a worker to stop working on a lease it no longer holds. */
  | { type: "abandon"; workerId: string; jobId: number; lease: number; reason: AbandonReason }
  /** A watched job reached a terminal state. */
  | { type: "settled"; jobId: number; state: JobState; result: unknown; error: string | undefined }
  /** The worker went silent past its heartbeat timeout; close its connection. */
  | { type: "worker-expired"; workerId: string }
  /** A job went back to pending or delayed, or died, because an attempt ended badly. */
  | { type: "requeued"; jobId: number; workerId: string; reason: string; attempt: number; to: JobState }
  /** A job ran out of attempts or failed permanently. */
  | { type: "dead"; jobId: number; error: string; attempts: number };
