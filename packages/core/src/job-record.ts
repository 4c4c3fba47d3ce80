// The queue's own record of one job. It is also the node of the structures that hold it (the
// ready list's links, a heap slot), so holding a job in line costs no allocation of its own.
import type { AttemptOutcome, JobSpec, JobState, Progress } from "@djq/protocol";
import type { NamedQueue } from "./named-queue.js";
import type { WorkerRecord } from "./worker-record.js";

export interface AttemptRecord {
  attempt: number;
  lease: number;
  workerId: string;
  startedAt: number;
  endedAt: number | undefined;
  outcome: AttemptOutcome;
  error: string | undefined;
}

export class JobRecord {
  state: JobState;
  /** Place in line: a smaller order goes first. Kept when the job is put back after a failure. */
  order = 0;
  attempts = 0;
  /** The current (or last) lease: the fencing token a report must name. */
  lease = 0;
  worker: WorkerRecord | undefined = undefined;
  /** Lease expiry while running, due time while delayed (the deadline heap's key); while pending, when it became ready. */
  deadlineAt = 0;
  heapIndex = -1;
  prev: JobRecord | undefined = undefined;
  next: JobRecord | undefined = undefined;
  history: AttemptRecord[] | undefined = undefined;
  progress: Progress | undefined = undefined;
  result: unknown = undefined;
  error: string | undefined = undefined;
  settledAt = 0;
  /** A client asked to be told when this job settles. */
  watched = false;

  constructor(
    readonly id: number,
    readonly spec: JobSpec,
    readonly queue: NamedQueue,
    readonly priority: number,
    readonly submittedAt: number,
    readonly timeoutMs: number,
    readonly maxAttempts: number,
    state: JobState,
  ) {
    this.state = state;
  }

  get type(): string {
    return this.spec.type ?? "sleep";
  }

  get currentAttempt(): AttemptRecord | undefined {
    const history = this.history;
    return history === undefined ? undefined : history[history.length - 1];
  }
}
