// Which jobs this client watches, what became of them, and who is waiting. It keeps every
// `settled` push it sees, so a push that arrives before `waitFor` (or even before the `submitted`
// reply has been handled) is never missed. It does no I/O: the client decides what to send.
//
// One entry per job id, in a table indexed by id: watching a job, its push and a wait on it each
// cost an array read. (Three Maps, one per question, cost a third of a busy producer's CPU in
// look-ups; one Map, still a sixth.)
import { IdTable } from "@djq/core";
import { isTerminal, type JobId, type JobState, type SettledJob } from "@djq/protocol";

export type { SettledJob };

interface Waiter {
  /** The ids waited for, first occurrence only, in the caller's order; `slots` holds their results. */
  readonly ids: JobId[];
  readonly slots: (SettledJob | undefined)[];
  remaining: number;
  readonly onSettled: ((job: SettledJob) => void) | undefined;
  readonly resolve: (results: Map<JobId, SettledJob>) => void;
  readonly reject: (error: Error) => void;
  done: boolean;
}

interface Entry {
  readonly jobId: JobId;
  /** The queue run that gave out this id, once it is watched or settled: ids restart with a run. */
  runId: string | undefined;
  /** Watched and not settled yet. */
  watching: boolean;
  settled: SettledJob | undefined;
  lost: Error | undefined;
  /** Position in the eviction order while settled or lost; 0 otherwise. */
  finishedSeq: number;
  /** One waiter is the common case, so the others only when there are several. */
  waiter: Waiter | undefined;
  slot: number;
  others: { waiter: Waiter; slot: number }[] | undefined;
  /** Set only while a wait() runs: a repeated id in one wait is counted once. */
  namedBy: Waiter | undefined;
}

export interface WaitHandle {
  done: Promise<Map<JobId, SettledJob>>;
  /** Ids neither watched nor finished here: the caller must send `watch` for them. */
  unknown: JobId[];
}

export class WatchRegistry {
  private readonly entries = new IdTable<Entry>();
  private watchingCount = 0;
  private finishedCount = 0;
  /** Finished entries in the order they finished, for eviction; entries finished again since are skipped. */
  private finishedOrder: { jobId: JobId; seq: number }[] = [];
  private finishedHead = 0;
  private lastSeq = 0;
  private readonly openWaiters = new Set<Waiter>();

  constructor(private readonly maxFinished = 100_000) {}

  get unsettledCount(): number {
    return this.watchingCount;
  }

  /** Ids watched under `runId` that have not settled: what to re-watch after a reconnect. */
  unsettled(runId: string): JobId[] {
    const ids: JobId[] = [];
    for (const entry of this.entries.values()) if (entry.watching && entry.runId === runId) ids.push(entry.jobId);
    return ids;
  }

  watch(jobIds: readonly JobId[], runId: string): void {
    for (const jobId of jobIds) {
      const entry = this.entryOf(jobId);
      // A settled push for this id may have raced ahead of the reply that named it.
      if (entry.settled !== undefined && entry.runId === runId) continue;
      this.unfinish(entry);
      entry.runId = runId;
      if (!entry.watching) {
        entry.watching = true;
        this.watchingCount += 1;
      }
    }
  }

  // one of {"type":"settled","jobs":[{"jobId":7,"state":"completed","result":"ok"}]}
  recordSettled(push: Omit<SettledJob, "state"> & { state: JobState }, runId: string): void {
    if (!isTerminal(push.state)) return;
    const job: SettledJob = { jobId: push.jobId, state: push.state };
    if (push.result !== undefined) job.result = push.result;
    if (push.error !== undefined) job.error = push.error;
    const entry = this.entryOf(job.jobId);
    this.unfinish(entry);
    entry.settled = job;
    entry.runId = runId;
    this.finish(job.jobId, entry);
    this.takeWaiters(entry, (waiter, slot) => {
      if (waiter.done) return;
      waiter.slots[slot] = job;
      waiter.onSettled?.(job);
      waiter.remaining -= 1;
      if (waiter.remaining === 0) this.resolve(waiter);
    });
  }

  /** The job's outcome cannot be learned any more; its waiters are rejected with `error`. */
  lose(jobId: JobId, error: Error): void {
    const entry = this.entryOf(jobId);
    this.unfinish(entry);
    entry.lost = error;
    this.finish(jobId, entry);
    this.takeWaiters(entry, (waiter) => this.fail(waiter, error));
  }

  /** Every job watched under `runId` is lost: that queue process is gone. */
  loseRun(runId: string, errorFor: (jobId: JobId) => Error): number {
    const lost = this.unsettled(runId);
    for (const jobId of lost) this.lose(jobId, errorFor(jobId));
    return lost.length;
  }

  /** Rejects every waiter (the client closed or gave up); watched ids stay watched. */
  rejectAll(error: Error): void {
    for (const waiter of this.openWaiters) this.fail(waiter, error);
    for (const entry of this.entries.values()) {
      if (entry.waiter === undefined) continue;
      entry.waiter = undefined;
      entry.others = undefined;
      if (!entry.watching && entry.finishedSeq === 0) this.entries.delete(entry.jobId);
    }
  }

  wait(jobIds: readonly JobId[], onSettled?: (job: SettledJob) => void): WaitHandle {
    const unknown: JobId[] = [];
    let resolve!: (results: Map<JobId, SettledJob>) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<Map<JobId, SettledJob>>((settle, fail) => {
      resolve = settle;
      reject = fail;
    });
    const waiter: Waiter = { ids: [], slots: [], remaining: 0, onSettled, resolve, reject, done: false };
    const named: Entry[] = [];
    for (const jobId of jobIds) {
      const entry = this.entryOf(jobId);
      if (entry.namedBy === waiter) continue;
      entry.namedBy = waiter;
      named.push(entry);
      if (entry.lost !== undefined) {
        this.fail(waiter, entry.lost);
        break;
      }
      const slot = waiter.ids.push(jobId) - 1;
      waiter.slots.push(entry.settled);
      if (entry.settled !== undefined) {
        onSettled?.(entry.settled);
        continue;
      }
      if (!entry.watching) unknown.push(jobId);
      waiter.remaining += 1;
      if (entry.waiter === undefined) {
        entry.waiter = waiter;
        entry.slot = slot;
      } else (entry.others ??= []).push({ waiter, slot });
    }
    // Only to tell repeats apart within this call: an entry must not keep the waiter alive.
    for (const entry of named) entry.namedBy = undefined;
    if (waiter.done) return { done, unknown: [] };
    if (waiter.remaining === 0) this.resolve(waiter);
    else this.openWaiters.add(waiter);
    return { done, unknown };
  }

  private entryOf(jobId: JobId): Entry {
    let entry = this.entries.get(jobId);
    if (entry === undefined) {
      entry = {
        jobId,
        runId: undefined,
        watching: false,
        settled: undefined,
        lost: undefined,
        finishedSeq: 0,
        waiter: undefined,
        slot: 0,
        others: undefined,
        namedBy: undefined,
      };
      this.entries.set(jobId, entry);
    }
    return entry;
  }

  private resolve(waiter: Waiter): void {
    waiter.done = true;
    this.openWaiters.delete(waiter);
    const results = new Map<JobId, SettledJob>();
    for (let i = 0; i < waiter.ids.length; i++) results.set(waiter.ids[i] as JobId, waiter.slots[i] as SettledJob);
    waiter.resolve(results);
  }

  private fail(waiter: Waiter, error: Error): void {
    if (waiter.done) return;
    waiter.done = true;
    this.openWaiters.delete(waiter);
    waiter.reject(error);
  }

  private takeWaiters(entry: Entry, each: (waiter: Waiter, slot: number) => void): void {
    const { waiter, slot, others } = entry;
    entry.waiter = undefined;
    entry.others = undefined;
    if (waiter !== undefined) each(waiter, slot);
    if (others !== undefined) for (const other of others) each(other.waiter, other.slot);
  }

  /** Clears what is known about the job's end, and whether it is watched. */
  private unfinish(entry: Entry): void {
    if (entry.watching) {
      entry.watching = false;
      this.watchingCount -= 1;
    }
    if (entry.finishedSeq !== 0) {
      entry.finishedSeq = 0;
      this.finishedCount -= 1;
    }
    entry.settled = undefined;
    entry.lost = undefined;
  }

  private finish(jobId: JobId, entry: Entry): void {
    entry.finishedSeq = ++this.lastSeq;
    this.finishedCount += 1;
    this.finishedOrder.push({ jobId, seq: entry.finishedSeq });
    // Bounded: an evicted entry is not lost for good, a later waitFor watches the id again.
    while (this.finishedCount > this.maxFinished && this.finishedHead < this.finishedOrder.length) {
      const oldest = this.finishedOrder[this.finishedHead++] as { jobId: JobId; seq: number };
      const evicted = this.entries.get(oldest.jobId);
      // Skip entries finished again since: only the latest one counts.
      if (evicted === undefined || evicted.finishedSeq !== oldest.seq) continue;
      this.unfinish(evicted);
      if (evicted.waiter === undefined) this.entries.delete(oldest.jobId);
    }
    // Entries finished again leave stale entries behind: drop them whenever they outnumber live
    // ones, so this stays O(1) amortized.
    const queued = this.finishedOrder.length - this.finishedHead;
    if (queued > 1_024 && queued > 2 * this.finishedCount) {
      this.finishedOrder = this.finishedOrder
        .slice(this.finishedHead)
        .filter((entry) => this.entries.get(entry.jobId)?.finishedSeq === entry.seq);
      this.finishedHead = 0;
    }
  }
}

