// Settled jobs kept for status look-ups, bounded by count and by age. Each terminal state has
// its own list in settle order (threaded through the jobs, which are in no other list once
// settled), so "the last 50 failed" walks only failed jobs and eviction is O(1) per job.
import type { JobState, TerminalState } from "@djq/protocol";
import { LinkedList } from "./linked-list.js";
import type { JobRecord } from "./job-record.js";
import type { MemoryBudget } from "./memory-budget.js";

export interface RetentionLimits {
  maxJobs: number;
  maxAgeMs: number;
}


export class Retention {
  private readonly lists: Record<TerminalState, LinkedList<JobRecord>> = {
    completed: new LinkedList<JobRecord>(),
    failed: new LinkedList<JobRecord>(),
    cancelled: new LinkedList<JobRecord>(),
  };

  constructor(
    private readonly limits: RetentionLimits,
    private readonly memory: MemoryBudget | undefined = undefined,
  ) {}

  get size(): number {
    return this.lists.completed.size + this.lists.failed.size + this.lists.cancelled.size;
  }

  keep(job: JobRecord): void {
    this.lists[job.state as TerminalState].push(job);
  }

  /** Takes a job back out of retention (it is being retried). */
  forget(job: JobRecord): void {
    this.lists[job.state as TerminalState].unlink(job);
  }

  /** In the order they settled, oldest first. */
  *inSettleOrder(state: JobState): IterableIterator<JobRecord> {
    const list = this.lists[state as TerminalState];
    if (list !== undefined) yield* list;
  }

  /** Newest first. */
  *newest(state: JobState): IterableIterator<JobRecord> {
    const list = this.lists[state as TerminalState];
    if (list !== undefined) yield* list.newestFirst();
  }

  /** Removes the jobs past the limits at `now` (count, age, the memory budget), oldest first. */
  evict(now: number, onEvict: (job: JobRecord) => void): void {
    this.evictWhile((oldest) => this.size > this.limits.maxJobs || oldest.settledAt + this.limits.maxAgeMs <= now || this.memory?.over === true, onEvict);
  }

  /** Removes the oldest settled jobs while `needed` says so, or until none is left. */
  evictWhile(needed: (oldest: JobRecord) => boolean, onEvict: (job: JobRecord) => void): void {
    for (let oldest = this.oldest(); oldest !== undefined && needed(oldest); oldest = this.oldest()) {
      this.forget(oldest);
      onEvict(oldest);
    }
  }

  /** When the oldest retained job ages out. */
  nextExpiryAt(): number | undefined {
    const oldest = this.oldest();
    return oldest === undefined ? undefined : oldest.settledAt + this.limits.maxAgeMs;
  }

  // Asked on every settle and every turn's wake-up: the three lists by name, no array of them built.
  private oldest(): JobRecord | undefined {
    const { completed, failed, cancelled } = this.lists;
    return earlier(earlier(completed.first, failed.first), cancelled.first);
  }
}

function earlier(a: JobRecord | undefined, b: JobRecord | undefined): JobRecord | undefined {
  if (a === undefined) return b;
  return b === undefined || a.settledAt <= b.settledAt ? a : b;
}
