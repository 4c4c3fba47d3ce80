// The two charts docs/benchmarks.md shows, drawn from a result file.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { lineChart } from "./plot-svg.js";
import type { BenchResult } from "./results.js";

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const compact = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(n));

export const plotFiles = {
  throughputVsPending: "benchmarks-throughput-vs-pending.svg",
  throughputVsWorkers: "benchmarks-throughput-vs-workers.svg",
} as const;

/** Writes the charts the result has data for into `dir`; returns the paths written. */
export function writePlots(result: BenchResult, dir: string): string[] {
  const written: string[] = [];
  const machine = `${result.machine.cores} cores, Node ${result.machine.node.replace(/^v/, "")}${result.mode === "quick" ? ", quick run" : ""}`;
  const { throughputVsPending, throughputVsWorkers } = result.plots;
  if (throughputVsPending.length > 0) {
    const file = path.join(dir, plotFiles.throughputVsPending);
    writeFileSync(
      file,
      lineChart(throughputVsPending, {
        title: "Throughput vs pending backlog",
        subtitle: `${count(result.sizes.sweepBatch ?? 0)} priority-9 jobs past a priority-1 backlog, 2 workers × 50; ${machine}`,
        xLabel: "pending jobs already in the queue (log scale)",
        yLabel: "jobs/s, end to end",
        xLog: true,
        formatX: compact,
        formatY: count,
      }),
    );
    written.push(file);
  }
  if (throughputVsWorkers.length > 0) {
    const file = path.join(dir, plotFiles.throughputVsWorkers);
    writeFileSync(
      file,
      lineChart(throughputVsWorkers, {
        title: "Throughput vs worker connections",
        subtitle: `${count(result.sizes.scaleJobs ?? 0)} zero-duration jobs, bulk submit; ${machine}`,
        xLabel: "worker connections, concurrency 50 each (log scale)",
        yLabel: "jobs/s, end to end",
        xLog: true,
        formatX: String,
        formatY: count,
      }),
    );
    written.push(file);
  }
  return written;
}
