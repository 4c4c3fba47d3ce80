// What a program can hear from its worker, as `worker.on("completed", …)`: the queue's answers to
// this worker's reports, the jobs it took back, and the connection coming and going. Each event
// fires after the fact it names is known to the worker; none fires for a guess.
import { EventEmitter } from "node:events";
import type { ErrorCode, JobId, Lease } from "@djq/protocol";
import type { Logger } from "@djq/runtime";

/** Why the queue took a job back from this worker. */
export type AbandonedReason = "cancelled" | "timed-out" | "lease-lost";

export interface WorkerEvents {
  /** The queue acknowledged the job's completion: it is `completed` there, once. */
  completed: [event: { jobId: JobId; lease: Lease; result: unknown }];
  /** The queue acknowledged a failed attempt (it retries the job, or fails it for good). */
  failed: [event: { jobId: JobId; lease: Lease; error: string; permanent: boolean }];
  /** The queue refused a report: the attempt's outcome was not recorded (`stale-lease` after the job moved on). */
  refused: [event: { jobId: JobId; lease: Lease; report: "complete" | "fail"; code: ErrorCode; message: string }];
  /** The attempt was taken back: its handler's signal fired and nothing will be reported for it. */
  abandoned: [event: { jobId: JobId; lease: Lease; reason: AbandonedReason; detail: string }];
  /** A session with the queue is up; `reconnected` is false for the first one. */
  connected: [event: { queueRunId: string; reconnected: boolean }];
  /** The session ended; the worker reconnects unless it is stopping. */
  disconnected: [event: { reason: string }];
}

export type WorkerEventName = keyof WorkerEvents;

/** The reasons of an `abandon` push, and of the worker's own giving up, as the event names them. */
export function abandonedReason(reason: string): AbandonedReason {
  return reason === "cancelled" || reason === "timed-out" ? reason : "lease-lost";
}

/**
 * Emits to the program's listeners; a listener that throws is logged, never let into the
 * worker's own code (a throw inside a report's acknowledgement would lose the others).
 */
export abstract class WorkerEmitter extends EventEmitter<WorkerEvents> {
  protected abstract readonly log: Logger;

  protected tell<E extends WorkerEventName>(event: E, ...args: WorkerEvents[E]): void {
    if (this.listenerCount(event) === 0) return;
    try {
      (this.emit as (event: E, ...args: WorkerEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error("listener.failed", { event, error: (error as Error).stack ?? String(error) });
    }
  }
}
