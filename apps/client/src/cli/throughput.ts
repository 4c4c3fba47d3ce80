// Jobs per second from the queue's `completedPerSecond` buckets. The last bucket is the second
// the snapshot was taken in, still filling (the core ends the list at `now`'s second), so the rates
// read whole seconds only: a rate taken from a second 10 ms old would always look like a stall.

export interface Throughput {
  /** Completions in the last whole second. */
  lastSecond: number;
  /** Average completions per second over the whole seconds of the last minute. */
  lastMinute: number;
  /** The whole seconds' counts, oldest first: what a sparkline draws. */
  wholeSeconds: number[];
}

export function throughput(completedPerSecond: readonly number[]): Throughput {
  const wholeSeconds = completedPerSecond.slice(0, -1);
  const total = wholeSeconds.reduce((sum, n) => sum + n, 0);
  return {
    lastSecond: wholeSeconds.at(-1) ?? 0,
    lastMinute: wholeSeconds.length === 0 ? 0 : total / wholeSeconds.length,
    wholeSeconds,
  };
}

const BARS = "▁▂▃▄▅▆▇█";

/** One character per second, scaled to the busiest one: `▁▁▃▅█▇▅▃▁`. An idle second is `▁`. */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  return counts.map((n) => (max === 0 || n <= 0 ? "▁" : BARS[Math.max(1, Math.ceil((n / max) * 7))])).join("");
}
