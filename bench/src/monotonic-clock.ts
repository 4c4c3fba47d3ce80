// One clock for every bench process. process.hrtime reads CLOCK_MONOTONIC, which on Linux is
// shared by all processes of the machine, so a time taken in the producer and one taken in a
// worker can be subtracted directly: no epoch, no NTP step, sub-microsecond resolution.

/** Milliseconds (fractional) on the machine-wide monotonic clock. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
