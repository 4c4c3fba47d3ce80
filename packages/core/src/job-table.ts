// Every known job by id. Ids are handed out in order, so the table is an array of fixed-size
// pages indexed by id: a look-up is two array reads, and a slot costs 8 bytes where a Map entry
// costs several times that. A page is dropped once every job in it has left retention.
import type { JobRecord } from "./job-record.js";

const PAGE_SIZE = 4096;

export class JobTable {
  private readonly pages: ((JobRecord | undefined)[] | undefined)[] = [];
  private readonly pageCounts: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): JobRecord | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    return this.pages[Math.floor(id / PAGE_SIZE)]?.[id % PAGE_SIZE];
  }

  /** Adds a job; ids must be new. */
  add(job: JobRecord): void {
    const pageIndex = Math.floor(job.id / PAGE_SIZE);
    let page = this.pages[pageIndex];
    if (page === undefined) {
      page = new Array<JobRecord | undefined>(PAGE_SIZE).fill(undefined);
      this.pages[pageIndex] = page;
      this.pageCounts[pageIndex] = 0;
    }
    page[job.id % PAGE_SIZE] = job;
    this.pageCounts[pageIndex] = (this.pageCounts[pageIndex] as number) + 1;
    this.count += 1;
  }

  delete(id: number): void {
    const pageIndex = Math.floor(id / PAGE_SIZE);
    const page = this.pages[pageIndex];
    if (page === undefined || page[id % PAGE_SIZE] === undefined) return;
    page[id % PAGE_SIZE] = undefined;
    this.count -= 1;
    const left = (this.pageCounts[pageIndex] as number) - 1;
    this.pageCounts[pageIndex] = left;
    if (left === 0) this.pages[pageIndex] = undefined;
  }

  *values(): IterableIterator<JobRecord> {
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const job of page) if (job !== undefined) yield job;
    }
  }
}
