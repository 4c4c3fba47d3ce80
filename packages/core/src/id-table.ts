// A map from job id to a value. Ids are handed out in order, so the table is an array of
// fixed-size pages indexed by id: a look-up is two array reads, and a slot costs 8 bytes where a
// Map entry costs several times that and, in a Map of 100,000 entries, a cache miss or two. A
// page is dropped once every slot in it is empty again.
const PAGE_SIZE = 4096;

export class IdTable<T> {
  private readonly pages: ((T | undefined)[] | undefined)[] = [];
  private readonly pageCounts: number[] = [];
  private count = 0;
  /**
   * The last page dropped, all slots empty, kept for the next page needed. A table that holds one
   * id at a time (a client watching one job after another) would otherwise build and drop a
   * 32 KB page for every id: most of what a queue allocates per job at 1,000 jobs/s, and a young
   * collection, a pause of about a millisecond, every few hundred jobs.
   */
  private emptyPage: (T | undefined)[] | undefined;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    return this.pages[Math.floor(id / PAGE_SIZE)]?.[id % PAGE_SIZE];
  }

  set(id: number, value: T): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`not a job id: ${id}`);
    const pageIndex = Math.floor(id / PAGE_SIZE);
    let page = this.pages[pageIndex];
    if (page === undefined) {
      page = this.emptyPage ?? new Array<T | undefined>(PAGE_SIZE).fill(undefined);
      this.emptyPage = undefined;
      this.pages[pageIndex] = page;
      this.pageCounts[pageIndex] = 0;
    }
    if (page[id % PAGE_SIZE] === undefined) {
      this.pageCounts[pageIndex] = (this.pageCounts[pageIndex] as number) + 1;
      this.count += 1;
    }
    page[id % PAGE_SIZE] = value;
  }

  delete(id: number): void {
    if (!Number.isInteger(id) || id < 0) return;
    const pageIndex = Math.floor(id / PAGE_SIZE);
    const page = this.pages[pageIndex];
    if (page === undefined || page[id % PAGE_SIZE] === undefined) return;
    page[id % PAGE_SIZE] = undefined;
    this.count -= 1;
    const left = (this.pageCounts[pageIndex] as number) - 1;
    this.pageCounts[pageIndex] = left;
    if (left === 0) {
      this.pages[pageIndex] = undefined;
      this.emptyPage = page;
    }
  }

  *values(): IterableIterator<T> {
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const value of page) if (value !== undefined) yield value;
    }
  }
}
