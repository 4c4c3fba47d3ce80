// What the core asks its shell to do, as data, each addressed to the connection it is for. The
// core never touches a socket: the broker performs these in order after each call.
import type { AbandonReason, Assignment, Progress, TerminalState } from "@djq/protocol";

/** The shell's opaque name for one peer connection, handed in like a request id. */
export type ConnectionId = number;

export type Effect =
  /** Answer a worker's fetch with these jobs. */
  | { type: "assign"; connectionId: ConnectionId | undefined; workerId: string; requestId: unknown; jobs: Assignment[] }
  /**
   * Tell a worker to stop working on a lease it no longer holds: on its connection, and on its
   * liveness connection too, whose thread can still act while the worker's main loop is stuck.
   */
  | { type: "abandon"; connectionId: ConnectionId | undefined; livenessConnectionId: ConnectionId | undefined; workerId: string; jobId: number; lease: number; reason: AbandonReason }
  /** A watched job reached a terminal state: tell this subscriber. */
  | { type: "settled"; connectionId: ConnectionId; jobId: number; state: TerminalState; result: unknown; error: string | undefined }
  /** A watched job's running attempt reported progress: tell this subscriber. */
  | { type: "progress"; connectionId: ConnectionId; jobId: number; progress: Progress }
  /** The worker went silent past its heartbeat timeout and is lost; close its connection. */
  | { type: "worker-lost"; connectionId: ConnectionId | undefined; workerId: string }
  /** The worker said hello again on another connection; close the one it was on. */
  | { type: "worker-replaced"; connectionId: ConnectionId; workerId: string }
  /** The worker session this liveness connection kept alive is over, or a newer one took its place: close it. */
  | { type: "liveness-ended"; connectionId: ConnectionId; workerId: string }
  /** A job went back to pending or delayed because an attempt ended badly. */
  | { type: "requeued"; jobId: number; workerId: string; reason: string; attempt: number; to: "pending" | "delayed" }
  /** A job ran out of attempts or failed permanently: it is failed for good. */
  | { type: "failed"; jobId: number; error: string; attempts: number };
