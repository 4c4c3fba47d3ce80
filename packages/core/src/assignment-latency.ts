// How long jobs wait between becoming ready (submitted, put back, or due) and being assigned,
// kept as bucket counts: plain numbers the shell formats (as a Prometheus histogram). The core
// passes in the wait it measured; nothing here reads a clock.

/** Upper bounds of the buckets, inclusive, in ms; one more bucket past the last holds the rest. */
export const assignmentLatencyBoundsMs: readonly number[] = [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000];

export class AssignmentLatency {
  /** Assignments per bucket (not cumulative); the last entry counts waits past every bound. */
  readonly counts: number[] = new Array<number>(assignmentLatencyBoundsMs.length + 1).fill(0);
  count = 0;
  sumMs = 0;

  record(waitMs: number): void {
    const wait = Math.max(0, waitMs);
    let bucket = 0;
    while (bucket < assignmentLatencyBoundsMs.length && wait > (assignmentLatencyBoundsMs[bucket] as number)) bucket += 1;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.count += 1;
    this.sumMs += wait;
  }
}
