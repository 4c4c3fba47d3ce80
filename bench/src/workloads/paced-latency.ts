// Workload C: the producer submits one job per message at a steady rate to idle workers; each
// job's latency runs from the producer's submit() call to the worker's handler starting, both
// read from the machine-wide monotonic clock.
import type { ProducerReport } from "../bench-messages.js";
import type { Program } from "../processes.js";
import { percentile } from "../statistics.js";
import { withSystem, type WorkerFleet } from "../system-under-test.js";
import { collectStarts } from "../worker-starts.js";
import { zeroDurationJob } from "./bulk-throughput.js";

export interface PacedRun {
  rate: number;
  durationMs: number;
  jobs: number;
  /** Jobs whose start no worker reported (should be 0). */
  missing: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const fleetC: WorkerFleet = { program: "library", processes: 2, workersPerProcess: 1, concurrency: 50 };

type PacedDone = Extract<ProducerReport, { type: "paced-done" }>;

/** `warmUpMs` of the same pacing first, unmeasured: only the jobs of the measured stretch count. */
export function runPaced(rate: number, durationMs: number, warmUpMs: number, queueArgs: string[] = []): Promise<PacedRun> {
  return withSystem({ fleet: fleetC, queueArgs }, (system) => measurePaced(system, rate, durationMs, warmUpMs));
}

/** The paced run on peers that are up: a producer and workers that report their job starts. */
export async function measurePaced(system: { producer: Program; workers: Program[] }, rate: number, durationMs: number, warmUpMs: number): Promise<PacedRun> {
  if (warmUpMs > 0) {
    system.producer.send({ type: "paced", rate, durationMs: warmUpMs, spec: zeroDurationJob });
    await system.producer.next<PacedDone>("paced-done", warmUpMs + 60_000);
  }
  system.producer.send({ type: "paced", rate, durationMs, spec: zeroDurationJob });
  const done = await system.producer.next<PacedDone>("paced-done", durationMs + 60_000);
  const startedAt = await collectStarts(system.workers);
  const latencies: number[] = [];
  for (const [jobId, submittedAt] of done.submits) {
    const at = startedAt.get(jobId);
    if (at !== undefined) latencies.push(at - submittedAt);
  }
  if (latencies.length < done.submits.length) throw new Error(`no worker reported starting ${done.submits.length - latencies.length} of the jobs`);
  latencies.sort((a, b) => a - b);
  return {
    rate,
    durationMs,
    jobs: done.submits.length,
    missing: done.submits.length - latencies.length,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
  };
}
