// Workload D: what a pending job costs. (1) Memory: the queue's heap after a forced GC with N
// pending tiny jobs, minus its heap when empty, over N. (2) Time: with a backlog of N pending
// jobs at priority 1, the throughput of a fixed batch of priority-9 jobs (which jump the
// backlog) through workload A's fleet, at N = 1,000 … 1,000,000; flat is the goal.
import type { ProbeReport, ProducerReport } from "../bench-messages.js";
import { programs } from "../processes.js";
import { withSystem, type System } from "../system-under-test.js";
import { fleetA, measureBulk, type BulkRun } from "./bulk-throughput.js";

export interface MemoryRun {
  pending: number;
  /** Submit-only rate while filling (no workers, no watch). */
  fillJobsPerSecond: number;
  baseline: ProbeReport;
  filled: ProbeReport;
  heapBytesPerJob: number;
  rssBytesPerJob: number;
}

export interface SweepRun extends BulkRun {
  /** Pending backlog jobs when the measured batch started. */
  pending: number;
  /** Backlog jobs the workers took during the measured window (before the queue was paused again). */
  backlogTaken: number;
}

type FillDone = Extract<ProducerReport, { type: "fill-done" }>;
const BACKLOG_QUEUE = "default";
/** Unmeasured batches through the fresh system first, so the JIT has done its work before N = 1,000. */
const WARM_UP_BATCHES = 3;

async function probe(system: System): Promise<ProbeReport> {
  system.queue.send({ type: "memory" });
  return system.queue.next<ProbeReport>("memory", 60_000);
}

async function fill(system: System, jobs: number, priority?: number): Promise<FillDone> {
  system.producer.send({ type: "fill", jobs, spec: priority === undefined ? {} : { priority } });
  return system.producer.next<FillDone>("fill-done", 600_000);
}

async function pendingIn(system: System, queue: string): Promise<number> {
  const stats = await system.control.stats();
  return stats.queues[queue]?.counts.pending ?? 0;
}

export function runMemory(pending: number): Promise<MemoryRun> {
  const queueSpawn = { nodeFlags: ["--expose-gc", "--import", programs.queueProbe], ipc: true };
  return withSystem({ queueSpawn }, async (system) => {
    const baseline = await probe(system);
    if (!baseline.gc) throw new Error("the queue process has no gc(): was it started with --expose-gc?");
    const filled = await fill(system, pending);
    const counted = await pendingIn(system, BACKLOG_QUEUE);
    if (counted !== pending) throw new Error(`expected ${pending} pending jobs, the queue counts ${counted}`);
    const after = await probe(system);
    return {
      pending,
      fillJobsPerSecond: (pending * 1000) / (filled.submittedAt - filled.startedAt),
      baseline,
      filled: after,
      heapBytesPerJob: (after.heapUsed - baseline.heapUsed) / pending,
      rssBytesPerJob: (after.rss - baseline.rss) / pending,
    };
  });
}

/**
 * One queue process for the whole sweep, its backlog grown step by step. The queue stays paused
 * between measurements so the workers cannot eat the backlog; the producer resumes it just
 * before its first submit and pauses it again after its last `settled`, and the backlog is
 * topped up to N before each run (the workers take a few hundred backlog jobs per run).
 *
 * Each measured batch comes from a fresh client connection (in the same, warmed-up producer
 * process): a client that has already seen 100,000 `settled` pushes spends most of its time
 * evicting old ones (see docs/benchmarks.md), and that would be measured here as if the backlog
 * were slow.
 */
export function runSweep(backlogs: number[], batch: number, repeats: number): Promise<SweepRun[]> {
  return withSystem({ fleet: fleetA }, async (system) => {
    for (let i = 0; i < WARM_UP_BATCHES; i++) await measureBulk(system, batch, undefined, { freshClient: true }); // before there is any backlog
    await system.control.pause(BACKLOG_QUEUE, { create: true }); // no backlog job exists yet
    const runs: SweepRun[] = [];
    for (const target of backlogs) {
      for (let r = 0; r < repeats; r++) {
        const missing = target - (await pendingIn(system, BACKLOG_QUEUE));
        if (missing > 0) await fill(system, missing, 1);
        const pending = await pendingIn(system, BACKLOG_QUEUE);
        const around = { resumeBefore: BACKLOG_QUEUE, pauseAfter: BACKLOG_QUEUE, freshClient: true };
        const run = await measureBulk(system, batch, { durationMs: 0, priority: 9 }, around);
        const backlogTaken = pending - (await pendingIn(system, BACKLOG_QUEUE));
        // The queue's CPU went on the backlog jobs the workers took as well as on the batch.
        const cpu = run.cpuMs.queue;
        runs.push({ ...run, pending, backlogTaken, queueCpuUsPerJob: cpu === undefined ? undefined : (cpu * 1000) / (batch + backlogTaken) });
      }
    }
    return runs;
  });
}
