// Remembers which job ids a submission key produced, for a bounded window, so a client that
// resends after a lost confirmation gets the same ids instead of a second copy of its jobs. It
// keeps a digest of the request body too (the shell computes it), so a key reused for another
// request is told apart from a resend.
// A Map iterates in insertion order, which is also expiry order: eviction is O(1) per key.

export interface IdempotencyLimits {
  maxKeys: number;
  windowMs: number;
}

interface Remembered {
  jobIds: number[];
  /** The submitted body's digest, as the shell computed it; empty when it gave none. */
  bodyDigest: string;
  at: number;
}

export class IdempotencyKeys {
  private readonly keys = new Map<string, Remembered>();

  constructor(private readonly limits: IdempotencyLimits) {}

  get size(): number {
    return this.keys.size;
  }

  /** Every key remembered, oldest first. */
  entries(): IterableIterator<[string, { readonly jobIds: number[]; readonly bodyDigest: string; readonly at: number }]> {
    return this.keys.entries();
  }

  lookup(key: string): { jobIds: number[]; bodyDigest: string } | undefined {
    return this.keys.get(key);
  }

  remember(key: string, jobIds: number[], bodyDigest: string, now: number): void {
    this.keys.set(key, { jobIds, bodyDigest, at: now });
    this.evict(now);
  }

  evict(now: number): void {
    for (const [key, entry] of this.keys) {
      if (this.keys.size <= this.limits.maxKeys && entry.at + this.limits.windowMs > now) return;
      this.keys.delete(key);
    }
  }

  nextExpiryAt(): number | undefined {
    for (const entry of this.keys.values()) return entry.at + this.limits.windowMs;
    return undefined;
  }
}
