// A doubly-linked list threaded through the jobs themselves: append, take from the front and
// unlink from the middle (cancel) are all O(1) and allocate nothing.
import type { JobRecord } from "./job-record.js";

export class JobList {
  private head: JobRecord | undefined = undefined;
  private tail: JobRecord | undefined = undefined;
  size = 0;

  get first(): JobRecord | undefined {
    return this.head;
  }

  push(job: JobRecord): void {
    job.prev = this.tail;
    job.next = undefined;
    if (this.tail === undefined) this.head = job;
    else this.tail.next = job;
    this.tail = job;
    this.size += 1;
  }

  shift(): JobRecord | undefined {
    const job = this.head;
    if (job !== undefined) this.unlink(job);
    return job;
  }

  unlink(job: JobRecord): void {
    if (job.prev === undefined) this.head = job.next;
    else job.prev.next = job.next;
    if (job.next === undefined) this.tail = job.prev;
    else job.next.prev = job.prev;
    job.prev = undefined;
    job.next = undefined;
    this.size -= 1;
  }

  *[Symbol.iterator](): IterableIterator<JobRecord> {
    for (let job = this.head; job !== undefined; job = job.next) yield job;
  }

  *newestFirst(): IterableIterator<JobRecord> {
    for (let job = this.tail; job !== undefined; job = job.prev) yield job;
  }
}
