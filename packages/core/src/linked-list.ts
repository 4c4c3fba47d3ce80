// A doubly-linked list threaded through its items themselves: append, take from the front and
// unlink from the middle (cancel, a worker that stops waiting) are all O(1) and allocate nothing.

export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
}

export class LinkedList<T extends Linked<T>> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  size = 0;

  get first(): T | undefined {
    return this.head;
  }

  push(item: T): void {
    item.prev = this.tail;
    item.next = undefined;
    if (this.tail === undefined) this.head = item;
    else this.tail.next = item;
    this.tail = item;
    this.size += 1;
  }

  shift(): T | undefined {
    const item = this.head;
    if (item !== undefined) this.unlink(item);
    return item;
  }

  unlink(item: T): void {
    if (item.prev === undefined) this.head = item.next;
    else item.prev.next = item.next;
    if (item.next === undefined) this.tail = item.prev;
    else item.next.prev = item.prev;
    item.prev = undefined;
    item.next = undefined;
    this.size -= 1;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let item = this.head; item !== undefined; item = item.next) yield item;
  }

  *newestFirst(): IterableIterator<T> {
    for (let item = this.tail; item !== undefined; item = item.prev) yield item;
  }
}
