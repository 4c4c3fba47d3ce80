// Workload B: one producer submitting one job at a time and awaiting each `submitted` before the
// next, workers at concurrency 1. Bound by round trips, not by batching.
import type { ProducerReport } from "../bench-messages.js";
import { countCost, systemPids, type SystemCost } from "../process-cost.js";
import { withSystem, type System, type WorkerFleet } from "../system-under-test.js";
import { zeroDurationJob } from "./bulk-throughput.js";

export interface SerialRun {
  jobs: number;
  wallMs: number;
  jobsPerSecond: number;
  /** Every process's CPU and system calls per job. */
  costs: SystemCost;
  failed: number;
}

export const fleetB: WorkerFleet = { program: "cli", processes: 2, workersPerProcess: 1, concurrency: 1 };

type SerialDone = Extract<ProducerReport, { type: "serial-done" }>;

/** One measured serial run on a system that is already up. */
export async function measureSerial(system: System, jobs: number): Promise<SerialRun> {
  const counted = countCost(systemPids(system.queue.pid, system.producer.pid, system.workers));
  system.producer.send({ type: "serial", jobs, spec: zeroDurationJob });
  const done = await system.producer.next<SerialDone>("serial-done", 300_000);
  const costs = counted(jobs);
  if (done.failed > 0) throw new Error(`${done.failed} of ${jobs} jobs did not complete; a throughput figure would mean nothing`);
  const wallMs = done.settledAt - done.startedAt;
  return {
    jobs,
    wallMs,
    jobsPerSecond: (jobs * 1000) / wallMs,
    costs,
    failed: done.failed,
  };
}

/** A fresh system, an unmeasured warm-up, one measured run. */
export function runSerial(jobs: number, warmUpJobs: number, fleet: WorkerFleet = fleetB, queueArgs: string[] = []): Promise<SerialRun> {
  return withSystem({ fleet, queueArgs }, async (system) => {
    if (warmUpJobs > 0) await measureSerial(system, warmUpJobs);
    return measureSerial(system, jobs);
  });
}
