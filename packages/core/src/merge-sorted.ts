// Walks several sequences that are each sorted by a key as one sorted sequence, lazily, so a
// page of a listing costs what it shows (plus what it skips), not a sort of everything. The
// sequences' heads sit in a heap: a thousand queues of nine priority lanes each cost a log, not
// a scan, per job.
import { IndexedHeap } from "./indexed-heap.js";

interface Head<T> {
  item: T;
  order: number;
  rest: Iterator<T>;
  heapIndex: number;
}

export function* mergeSorted<T>(sources: Iterable<Iterable<T>>, key: (item: T) => number): IterableIterator<T> {
  const heads = new IndexedHeap<Head<T>>((a, b) => a.order < b.order);
  for (const source of sources) {
    const rest = source[Symbol.iterator]();
    const first = rest.next();
    if (!first.done) heads.push({ item: first.value, order: key(first.value), rest, heapIndex: -1 });
  }
  for (let head = heads.peek(); head !== undefined; head = heads.peek()) {
    yield head.item;
    const next = head.rest.next();
    if (next.done) {
      heads.remove(head);
    } else {
      head.item = next.value;
      head.order = key(next.value);
      heads.update(head);
    }
  }
}
