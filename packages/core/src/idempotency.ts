// Remembers which job ids a submission key produced, for a bounded window, so a client that
// resends after a lost confirmation gets the same ids instead of a second copy of its jobs. It
// keeps a digest of the request body too (the shell computes it), so a key reused for another
// request is told apart from a resend.
//
// Keys are remembered in time order, which is also expiry order, in a list of their own beside the
// Map: a Map does iterate in insertion order, but a deleted entry leaves a gap that every later walk
// from the front steps over until the table is next rebuilt, so evicting from the front of a full
// Map of 100,000 keys cost tens of microseconds per submit, and so did asking it for the oldest key
// on every turn. From the front of this list, each key costs one step once.

export interface IdempotencyLimits {
  maxKeys: number;
  windowMs: number;
}

interface Remembered {
  readonly key: string;
  readonly jobIds: number[];
  /** The submitted body's digest, as the shell computed it; empty when it gave none. */
  readonly bodyDigest: string;
  readonly at: number;
}

/** Taken-off entries at the front of the list that are dropped all at once, when they are also half of it. */
const COMPACT_AFTER = 1_024;

export class IdempotencyKeys {
  private readonly keys = new Map<string, Remembered>();
  /** Every entry remembered, oldest first, from `head` on; one the Map no longer holds is skipped. */
  private order: Remembered[] = [];
  private head = 0;

  constructor(private readonly limits: IdempotencyLimits) {}

  get size(): number {
    return this.keys.size;
  }

  /** Every key remembered, oldest first. */
  *entries(): IterableIterator<[string, { readonly jobIds: number[]; readonly bodyDigest: string; readonly at: number }]> {
    for (let i = this.head; i < this.order.length; i += 1) {
      const entry = this.order[i] as Remembered;
      if (this.keys.get(entry.key) === entry) yield [entry.key, entry];
    }
  }

  lookup(key: string): { jobIds: number[]; bodyDigest: string } | undefined {
    return this.keys.get(key);
  }

  remember(key: string, jobIds: number[], bodyDigest: string, now: number): void {
    const entry: Remembered = { key, jobIds, bodyDigest, at: now };
    // A key remembered again leaves its older entry in the list, where eviction passes over it.
    this.keys.set(key, entry);
    this.order.push(entry);
    this.evict(now);
  }

  evict(now: number): void {
    const { maxKeys, windowMs } = this.limits;
    while (this.head < this.order.length) {
      const oldest = this.order[this.head] as Remembered;
      if (this.keys.size <= maxKeys && oldest.at + windowMs > now) break;
      if (this.keys.get(oldest.key) === oldest) this.keys.delete(oldest.key);
      this.head += 1;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  nextExpiryAt(): number | undefined {
    const oldest = this.order[this.head];
    return oldest === undefined ? undefined : oldest.at + this.limits.windowMs;
  }
}
