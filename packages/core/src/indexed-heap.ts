// A binary min-heap whose items remember their own position, so an item can be removed or
// re-keyed in O(log n) without a search. Both the deadline heap and the requeued-jobs heap use it.

export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): void {
    const index = item.heapIndex;
    if (!this.has(item)) return;
    const last = this.items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.update(last);
  }

  /** Restores order after the item's key changed in either direction. */
  update(item: T): void {
    this.siftUp(item.heapIndex);
    this.siftDown(item.heapIndex);
  }

  /** Unordered; for listings and invariant checks, never for the hot path. */
  values(): readonly T[] {
    return this.items;
  }

  private siftUp(start: number): void {
    const items = this.items;
    let index = start;
    const item = items[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.less(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  private siftDown(start: number): void {
    const items = this.items;
    const length = items.length;
    let index = start;
    const item = items[index];
    if (item === undefined) return;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.less(items[right] as T, items[left] as T)) child = right;
      const smaller = items[child] as T;
      if (!this.less(smaller, item)) break;
      items[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
