// The ready jobs of one priority level of one queue. New jobs join a FIFO list; jobs put back
// after a failure go to a small heap ordered by their original place, so they run before
// anything submitted after them. The heap holds only returned jobs (bounded by what was
// running), so taking the next job costs O(1) in the number of pending jobs.
import { IndexedHeap } from "./indexed-heap.js";
import { LinkedList } from "./linked-list.js";
import type { JobRecord } from "./job-record.js";

export class PriorityLane {
  private readonly fresh = new LinkedList<JobRecord>();
  private readonly returned = new IndexedHeap<JobRecord>((a, b) => a.order < b.order);

  get size(): number {
    return this.fresh.size + this.returned.size;
  }

  /** Joins at the back: `job.order` must be larger than every order already here. */
  append(job: JobRecord): void {
    this.fresh.push(job);
  }

  /** Goes back to its original place among the waiting jobs. */
  putBack(job: JobRecord): void {
    this.returned.push(job);
  }

  peek(): JobRecord | undefined {
    const fresh = this.fresh.first;
    const returned = this.returned.peek();
    if (returned === undefined) return fresh;
    if (fresh === undefined) return returned;
    return returned.order < fresh.order ? returned : fresh;
  }

  take(): JobRecord | undefined {
    const job = this.peek();
    if (job !== undefined) this.remove(job);
    return job;
  }

  remove(job: JobRecord): void {
    if (this.returned.has(job)) this.returned.remove(job);
    else this.fresh.unlink(job);
  }

  /** In the order they will be taken. Walks `limit` jobs at most, plus the returned heap. */
  *inOrder(): IterableIterator<JobRecord> {
    const returned = [...this.returned.values()].sort((a, b) => a.order - b.order);
    let r = 0;
    for (const job of this.fresh) {
      while (r < returned.length && (returned[r] as JobRecord).order < job.order) yield returned[r++] as JobRecord;
      yield job;
    }
    while (r < returned.length) yield returned[r++] as JobRecord;
  }
}
