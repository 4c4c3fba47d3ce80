// One budget for the job data the queue holds: every job, pending, delayed, running or retained,
// costs an estimate of its record plus the encoded bytes of its payload and result. Submissions
// that would pass it are refused; retained jobs are evicted oldest first to stay within it.
// The shell measures encoded sizes (the core has no Buffer) and picks the limit from the machine.

/** What a job's record, spec, attempt history and places in the indexes cost beyond its data:
 * about 150 bytes measured for a pending `{}` job, rounded up for a job that has run. */
export const JOB_RECORD_BYTES = 400;

export interface MemoryLimits {
  /** Job data held at most: records, payloads and results, in bytes. */
  maxBytes: number;
  /** Largest encoded result a `complete` may carry. */
  maxResultBytes: number;
}

export class MemoryBudget {
  private held = 0;

  constructor(readonly limits: MemoryLimits) {}

  get heldBytes(): number {
    return this.held;
  }

  get over(): boolean {
    return this.held > this.limits.maxBytes;
  }

  hasRoomFor(bytes: number): boolean {
    return this.held + bytes <= this.limits.maxBytes;
  }

  charge(bytes: number): void {
    this.held += bytes;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }

  describe(): string {
    return `${this.held} of ${this.limits.maxBytes} bytes of job data held`;
  }
}
