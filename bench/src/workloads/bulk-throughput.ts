// Workload A and the scale runs: many zero-duration jobs submitted in bulk by one producer
// process, run by a fleet of worker processes; timed from the producer's first submit to the
// last `settled` push it receives. Also counts workers wrongly declared lost (workload F's
// false positives), which must stay 0 at full load.
import type { JobSpec } from "@djq/protocol";
import type { ProducerCommand, ProducerReport } from "../bench-messages.js";
import { cpuTimeMs } from "../processes.js";
import { withSystem, type System, type WorkerFleet } from "../system-under-test.js";

export interface BulkRun {
  jobs: number;
  wallMs: number;
  jobsPerSecond: number;
  /** Until the last `submitted` reply; the rest of wallMs is draining. */
  submitMs: number;
  queueCpuUsPerJob: number | undefined;
  /** CPU time each kind of process used during the run (ms), to see which one is the bottleneck. */
  cpuMs: { queue?: number; workers?: number; producer?: number };
  /** Jobs that did not settle as completed. */
  failed: number;
  /** Reassignments, worker-lost events and worker warnings seen during the run. */
  falsePositives: { reassigned: number; workersLost: number; workerWarnings: number };
  /** The first few warning lines the workers and the queue logged, verbatim. */
  warnings: string[];
}

export const zeroDurationJob: JobSpec = { durationMs: 0 };
/** Workload A's fleet: 2 worker CLI processes, concurrency 50 (so each fetch asks for up to 50). */
export const fleetA: WorkerFleet = { program: "cli", processes: 2, workersPerProcess: 1, concurrency: 50 };

type BulkDone = Extract<ProducerReport, { type: "bulk-done" }>;

/** One measured bulk run on a system that is already up. */
export async function measureBulk(
  system: System,
  jobs: number,
  spec: JobSpec | undefined = zeroDurationJob,
  around: { resumeBefore?: string; pauseAfter?: string; freshClient?: boolean } = {},
): Promise<BulkRun> {
  const cpuBefore = cpuTimeMs(system.queue.pid);
  const othersBefore = otherCpu(system);
  const command: ProducerCommand = { type: "bulk", jobs, spec: spec ?? zeroDurationJob, ...around };
  system.producer.send(command);
  const done = await system.producer.next<BulkDone>("bulk-done", 300_000);
  const cpuAfter = cpuTimeMs(system.queue.pid);
  const othersAfter = otherCpu(system);
  if (done.failed > 0) throw new Error(`${done.failed} of ${jobs} jobs did not complete; a throughput figure would mean nothing`);
  const wallMs = done.settledAt - done.startedAt;
  const stats = await system.control.stats();
  return {
    jobs,
    wallMs,
    jobsPerSecond: (jobs * 1000) / wallMs,
    submitMs: done.submittedAt - done.startedAt,
    queueCpuUsPerJob: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / jobs,
    cpuMs: {
      queue: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      workers: difference(othersBefore.workers, othersAfter.workers),
      producer: difference(othersBefore.producer, othersAfter.producer),
    },
    failed: done.failed,
    falsePositives: {
      reassigned: stats.totals.reassigned,
      workersLost: stats.recent.filter((event) => event.kind === "worker-lost").length,
      workerWarnings: system.workers.reduce((sum, worker) => sum + worker.warnings().length, 0),
    },
    warnings: [system.queue, ...system.workers].flatMap((program) => program.warnings().map((line) => `${program.name}: ${line}`)).slice(0, 10),
  };
}

/**
 * A fresh system, unmeasured warm-up batches of the measured size until `warmUpJobs` have run, then
 * one measured run. The warm-up brings every process to its steady state: the JIT has optimized
 * the per-message paths (which take far longer to get hot than the per-job ones) and the queue's
 * retention is full and evicting, as in a queue that has been up for a while.
 */
export function runBulk(jobs: number, warmUpJobs: number, fleet: WorkerFleet, idleClients?: number, queueArgs: string[] = []): Promise<BulkRun> {
  return withSystem({ fleet, queueArgs, ...(idleClients ? { idleClients } : {}) }, async (system) => {
    for (let warmedUp = 0; warmedUp < warmUpJobs; warmedUp += jobs) await measureBulk(system, Math.min(jobs, warmUpJobs - warmedUp));
    return measureBulk(system, jobs);
  });
}

export function falsePositiveCount(run: BulkRun): number {
  const { reassigned, workersLost, workerWarnings } = run.falsePositives;
  return reassigned + workersLost + workerWarnings;
}

function otherCpu(system: System): { workers: number | undefined; producer: number | undefined } {
  let workers: number | undefined = 0;
  for (const worker of system.workers) {
    const ms = cpuTimeMs(worker.pid);
    workers = ms === undefined || workers === undefined ? undefined : workers + ms;
  }
  return { workers, producer: cpuTimeMs(system.producer.pid) };
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}
