// Which jobs this client watches, what became of them, and who is waiting. It keeps every
// `settled` push it sees, so a push that arrives before `waitFor` (or even before the `submitted`
// reply has been handled) is never missed. It does no I/O: the client decides what to send.
import type { JobId, SettledJob as SettledPush } from "@djq/protocol";

export const settledStates = ["completed", "failed", "cancelled"] as const;
export type SettledState = (typeof settledStates)[number];

export interface SettledJob {
  jobId: JobId;
  state: SettledState;
  result?: unknown;
  error?: string;
}

/** `runId` tells an old run's record from a new job that was given the same id after a restart. */
const PENDING = undefined as unknown as SettledJob;

type Finished = { settled: SettledJob; runId: string } | { lost: Error };

interface Waiter {
  remaining: number;
  results: Map<JobId, SettledJob>;
  onSettled: ((job: SettledJob) => void) | undefined;
  resolve: (results: Map<JobId, SettledJob>) => void;
  reject: (error: Error) => void;
  done: boolean;
}

export interface WaitHandle {
  done: Promise<Map<JobId, SettledJob>>;
  /** Ids neither watched nor finished here: the caller must send `watch` for them. */
  unknown: JobId[];
}

export class WatchRegistry {
  /** Watched and not yet settled, with the queue run that gave out the id. */
  private readonly watching = new Map<JobId, string>();
  /** Insertion order is age order, so the oldest record is dropped first when the bound is hit. */
  private readonly finished = new Map<JobId, Finished>();
  /**
   * `finished` in the order remembered, for eviction. A Map keeps deleted entries as holes until
   * it rehashes, so taking its first key can walk thousands of them; this queue cannot.
   */
  private rememberedOrder: { jobId: JobId; finished: Finished }[] = [];
  private rememberedHead = 0;
  /** One waiter per job is the common case, so an array only when there are several. */
  private readonly waiters = new Map<JobId, Waiter | Waiter[]>();

  constructor(private readonly maxFinished = 100_000) {}

  get unsettledCount(): number {
    return this.watching.size;
  }

  /** Ids watched under `runId` that have not settled: what to re-watch after a reconnect. */
  unsettled(runId: string): JobId[] {
    const ids: JobId[] = [];
    for (const [jobId, run] of this.watching) if (run === runId) ids.push(jobId);
    return ids;
  }

  watch(jobIds: readonly JobId[], runId: string): void {
    for (const jobId of jobIds) {
      const finished = this.finished.get(jobId);
      // A settled push for this id may have raced ahead of the reply that named it.
      if (finished !== undefined && "settled" in finished && finished.runId === runId) continue;
      this.finished.delete(jobId);
      this.watching.set(jobId, runId);
    }
  }

  // one of {"type":"settled","jobs":[{"jobId":7,"state":"completed","result":"ok"}]}
  settle(push: SettledPush, runId: string): void {
    if (!isSettledState(push.state)) return;
    const job: SettledJob = { jobId: push.jobId, state: push.state };
    if (push.result !== undefined) job.result = push.result;
    if (push.error !== undefined) job.error = push.error;
    this.watching.delete(job.jobId);
    this.remember(job.jobId, { settled: job, runId });
    for (const waiter of this.takeWaiters(job.jobId)) {
      if (waiter.done) continue;
      waiter.results.set(job.jobId, job);
      waiter.onSettled?.(job);
      waiter.remaining -= 1;
      if (waiter.remaining === 0) {
        waiter.done = true;
        waiter.resolve(waiter.results);
      }
    }
  }

  /** The job's outcome cannot be learned any more; its waiters are rejected with `error`. */
  lose(jobId: JobId, error: Error): void {
    this.watching.delete(jobId);
    this.remember(jobId, { lost: error });
    for (const waiter of this.takeWaiters(jobId)) this.fail(waiter, error);
  }

  /** Every job watched under `runId` is lost: that queue process is gone. */
  loseRun(runId: string, errorFor: (jobId: JobId) => Error): number {
    const lost = this.unsettled(runId);
    for (const jobId of lost) this.lose(jobId, errorFor(jobId));
    return lost.length;
  }

  /** Rejects every waiter (the client closed or gave up); watched ids stay watched. */
  rejectAll(error: Error): void {
    for (const present of this.waiters.values()) {
      for (const waiter of Array.isArray(present) ? present : [present]) this.fail(waiter, error);
    }
    this.waiters.clear();
  }

  wait(jobIds: readonly JobId[], onSettled?: (job: SettledJob) => void): WaitHandle {
    const unknown: JobId[] = [];
    let settle!: (results: Map<JobId, SettledJob>) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<Map<JobId, SettledJob>>((resolve, fail) => {
      settle = resolve;
      reject = fail;
    });
    const waiter: Waiter = { remaining: 0, results: new Map(), onSettled, resolve: settle, reject, done: false };
    for (const jobId of jobIds) {
      if (waiter.results.has(jobId)) continue;
      const finished = this.finished.get(jobId);
      if (finished !== undefined && "lost" in finished) {
        this.fail(waiter, finished.lost);
        return { done, unknown: [] };
      }
      if (finished !== undefined) {
        waiter.results.set(jobId, finished.settled);
        onSettled?.(finished.settled);
        continue;
      }
      // A placeholder keeps the caller's order in the result; settle() fills it in.
      waiter.results.set(jobId, PENDING);
      if (!this.watching.has(jobId)) unknown.push(jobId);
      waiter.remaining += 1;
      const present = this.waiters.get(jobId);
      if (present === undefined) this.waiters.set(jobId, waiter);
      else if (Array.isArray(present)) present.push(waiter);
      else this.waiters.set(jobId, [present, waiter]);
    }
    if (waiter.remaining === 0) {
      waiter.done = true;
      settle(waiter.results);
    }
    return { done, unknown };
  }

  private fail(waiter: Waiter, error: Error): void {
    if (waiter.done) return;
    waiter.done = true;
    waiter.reject(error);
  }

  private takeWaiters(jobId: JobId): readonly Waiter[] {
    const present = this.waiters.get(jobId);
    if (present === undefined) return [];
    this.waiters.delete(jobId);
    return Array.isArray(present) ? present : [present];
  }

  private remember(jobId: JobId, finished: Finished): void {
    this.finished.delete(jobId);
    this.finished.set(jobId, finished);
    this.rememberedOrder.push({ jobId, finished });
    // Bounded: an evicted record is not lost for good, a later waitFor watches the id again.
    while (this.finished.size > this.maxFinished && this.rememberedHead < this.rememberedOrder.length) {
      const oldest = this.rememberedOrder[this.rememberedHead++] as { jobId: JobId; finished: Finished };
      // Skip entries remembered again since, or already taken: only the latest one counts.
      if (this.finished.get(oldest.jobId) === oldest.finished) this.finished.delete(oldest.jobId);
    }
    // Records taken by waitFor leave stale entries behind: rebuild from the map (in its own
    // insertion order) whenever stale entries outnumber live ones, so this stays O(1) amortized.
    const queued = this.rememberedOrder.length - this.rememberedHead;
    if (queued > 1_024 && queued > 2 * this.finished.size) {
      this.rememberedOrder = [...this.finished].map(([id, record]) => ({ jobId: id, finished: record }));
      this.rememberedHead = 0;
    }
  }
}

function isSettledState(state: string): state is SettledState {
  return (settledStates as readonly string[]).includes(state);
}
