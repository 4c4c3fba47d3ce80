// The queue's own record of one job. It is also the node of the structures that hold it (the
// ready list's links, a heap slot), so holding a job in line costs no allocation of its own.
// A million pending jobs must fit in little memory, so a record keeps eleven fields: the state,
// attempt count and watch flag share one small integer, defaults are read from the spec and
// the queue instead of being copied, and everything a job only needs once it has run lives in a
// `JobRun` allocated on first use.
import { DEFAULT_JOB_TYPE, DEFAULT_PRIORITY, type AttemptOutcome, type JobSpec, type JobState, type Progress } from "@djq/protocol";
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

/** What a job carries once it is delayed, has run, or has settled. */
export class JobRun {
  lease = 0;
  worker: WorkerRecord | undefined = undefined;
  deadlineAt = 0;
  history: AttemptRecord[] | undefined = undefined;
  progress: Progress | undefined = undefined;
  result: unknown = undefined;
  error: string | undefined = undefined;
  settledAt = 0;
  /** Encoded bytes of the result, as the shell measured it. */
  resultBytes = 0;
  /** Place in its state's listing (delayed, running, settled): rises each time a job enters one. */
  listOrder = 0;
}

const states: readonly JobState[] = ["delayed", "pending", "running", "completed", "failed", "cancelled"];
const stateIndex = new Map(states.map((state, index) => [state, index]));
const STATE_BITS = 0b111;
const ATTEMPT_SHIFT = 3;

/** Shared by every job submitted as `{}`, so the commonest job costs no spec object of its own. */
const emptySpec: JobSpec = Object.freeze({});

export class JobRecord {
  /** Place in line: a smaller order goes first. Kept when the job is put back after a failure. */
  order = 0;
  heapIndex = -1;
  prev: JobRecord | undefined = undefined;
  next: JobRecord | undefined = undefined;
  readonly spec: JobSpec;
  /** Encoded size of the payload, as the shell measured it: for the memory budget and assign batches. */
  payloadBytes = 0;
  private bits: number;
  private run: JobRun | undefined = undefined;

  constructor(
    readonly id: number,
    spec: JobSpec,
    readonly queue: NamedQueue,
    readonly submittedAt: number,
    state: JobState,
  ) {
    this.spec = hasOwnFields(spec) ? spec : emptySpec;
    this.bits = stateIndex.get(state) as number;
  }

  get state(): JobState {
    return states[this.bits & STATE_BITS] as JobState;
  }

  set state(state: JobState) {
    this.bits = (this.bits & ~STATE_BITS) | (stateIndex.get(state) as number);
  }

  get attempts(): number {
    return this.bits >>> ATTEMPT_SHIFT;
  }

  set attempts(attempts: number) {
    this.bits = (this.bits & STATE_BITS) | (attempts << ATTEMPT_SHIFT);
  }

  get type(): string {
    return this.spec.type ?? DEFAULT_JOB_TYPE;
  }

  get priority(): number {
    return this.spec.priority ?? DEFAULT_PRIORITY;
  }

  get timeoutMs(): number {
    return this.spec.timeoutMs ?? this.queue.defaults.timeoutMs;
  }

  get maxAttempts(): number {
    return this.spec.maxAttempts ?? this.queue.defaults.maxAttempts;
  }

  /** The current (or last) lease: the fencing token a report must name. */
  get lease(): number {
    return this.run?.lease ?? 0;
  }

  set lease(lease: number) {
    this.ran().lease = lease;
  }

  get worker(): WorkerRecord | undefined {
    return this.run?.worker;
  }

  set worker(worker: WorkerRecord | undefined) {
    if (worker !== undefined || this.run !== undefined) this.ran().worker = worker;
  }

  /**
   * Lease expiry while running, due time while delayed (the deadline heap's key); while
   * pending, when it became ready: its submission, unless it was put back or fell due since.
   */
  get deadlineAt(): number {
    return this.run?.deadlineAt ?? this.submittedAt;
  }

  set deadlineAt(at: number) {
    this.ran().deadlineAt = at;
  }

  get history(): AttemptRecord[] | undefined {
    return this.run?.history;
  }

  set history(history: AttemptRecord[] | undefined) {
    this.ran().history = history;
  }

  get progress(): Progress | undefined {
    return this.run?.progress;
  }

  set progress(progress: Progress | undefined) {
    if (progress !== undefined || this.run !== undefined) this.ran().progress = progress;
  }

  get result(): unknown {
    return this.run?.result;
  }

  set result(result: unknown) {
    if (result !== undefined || this.run !== undefined) this.ran().result = result;
  }

  get error(): string | undefined {
    return this.run?.error;
  }

  set error(error: string | undefined) {
    if (error !== undefined || this.run !== undefined) this.ran().error = error;
  }

  get settledAt(): number {
    return this.run?.settledAt ?? 0;
  }

  set settledAt(at: number) {
    if (at !== 0 || this.run !== undefined) this.ran().settledAt = at;
  }

  get resultBytes(): number {
    return this.run?.resultBytes ?? 0;
  }

  set resultBytes(bytes: number) {
    if (bytes !== 0 || this.run !== undefined) this.ran().resultBytes = bytes;
  }

  /**
   * Where `list` shows the job in its state, oldest first, and the cursor a page ends on: its
   * place in line while pending (kept when put back), else when it entered its state.
   */
  get listOrder(): number {
    return this.state === "pending" ? this.order : (this.run?.listOrder ?? 0);
  }

  set listOrder(order: number) {
    this.ran().listOrder = order;
  }

  get currentAttempt(): AttemptRecord | undefined {
    const history = this.run?.history;
    return history === undefined ? undefined : history[history.length - 1];
  }

  private ran(): JobRun {
    return (this.run ??= new JobRun());
  }
}

function hasOwnFields(spec: JobSpec): boolean {
  for (const key in spec) if ((spec as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}
