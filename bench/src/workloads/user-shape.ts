// The user's shape: a program's own handler for a named job type with a small payload on a named
// queue, fed the way a web request handler feeds it: one submit() at a time without watch, each
// awaited (what the caller feels is the acknowledgement), or batches of 1,000 awaited one after
// another. Nothing watches the jobs: a run ends when the workers' handlers have started every one.
import type { ProducerReport } from "../bench-messages.js";
import { countCost, systemPids, type SystemCost } from "../process-cost.js";
import type { Program } from "../processes.js";
import { percentile } from "../statistics.js";
import { withSystem, type WorkerFleet } from "../system-under-test.js";
import { userJob } from "../user-job.js";
import { startedCount, startsOnceCounted } from "../worker-starts.js";

export interface Percentiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface OneByOneRun {
  jobs: number;
  /** First submit to the last handler start. */
  wallMs: number;
  jobsPerSecond: number;
  /** submit() called → its promise resolved with the job id. */
  acknowledged: Percentiles;
  /** submit() called → the handler started. */
  started: Percentiles;
  /** What each process (the broker is djq's queue or the floor broker) spent per job. */
  costs: SystemCost;
}

export interface BatchesRun {
  jobs: number;
  batchSize: number;
  wallMs: number;
  jobsPerSecond: number;
  costs: SystemCost;
}

/** Peers that are up: a producer, workers that note their handler starts, and the broker's pid. */
export interface UserShapePeers {
  producer: Program;
  workers: Program[];
  brokerPid: number;
}

/** Concurrency 50, as in C: workers that keep up, so a start time measures the path, not a backlog. */
export const fleetUser: WorkerFleet = { program: "library", processes: 2, workersPerProcess: 1, concurrency: 50, user: true };

function percentiles(sorted: number[]): Percentiles {
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] ?? Number.NaN };
}

/** One measured run of one awaited, unwatched submit at a time. */
export async function measureOneByOne({ producer, workers, brokerPid }: UserShapePeers, jobs: number): Promise<OneByOneRun> {
  const before = await startedCount(workers);
  const counted = countCost(systemPids(brokerPid, producer.pid, workers));
  producer.send({ type: "one-by-one", jobs, spec: userJob });
  const { submits } = await producer.next<Extract<ProducerReport, { type: "one-by-one-done" }>>("one-by-one-done", 300_000);
  const startedAt = await startsOnceCounted(workers, before + jobs, 60_000);
  const costs = counted(jobs);
  const acknowledged: number[] = [];
  const started: number[] = [];
  let lastStart = -Infinity;
  for (const [jobId, submittedAt, acknowledgedAt] of submits) {
    const at = startedAt.get(jobId);
    if (at === undefined) throw new Error(`no worker reported starting job ${jobId}`);
    acknowledged.push(acknowledgedAt - submittedAt);
    started.push(at - submittedAt);
    lastStart = Math.max(lastStart, at);
  }
  const wallMs = lastStart - (submits[0]?.[1] ?? Number.NaN);
  return {
    jobs,
    wallMs,
    jobsPerSecond: (jobs * 1000) / wallMs,
    acknowledged: percentiles(acknowledged.sort((a, b) => a - b)),
    started: percentiles(started.sort((a, b) => a - b)),
    costs,
  };
}

/** One measured run of `batchSize`-job submits, each awaited before the next. */
export async function measureBatches({ producer, workers, brokerPid }: UserShapePeers, jobs: number, batchSize: number): Promise<BatchesRun> {
  const before = await startedCount(workers);
  const counted = countCost(systemPids(brokerPid, producer.pid, workers));
  producer.send({ type: "batches", jobs, batchSize, spec: userJob });
  const done = await producer.next<Extract<ProducerReport, { type: "batches-done" }>>("batches-done", 300_000);
  const startedAt = await startsOnceCounted(workers, before + jobs, 120_000);
  const costs = counted(jobs);
  let lastStart = -Infinity;
  for (const jobId of done.jobIds) {
    const at = startedAt.get(jobId);
    if (at === undefined) throw new Error(`no worker reported starting job ${jobId}`);
    lastStart = Math.max(lastStart, at);
  }
  const wallMs = lastStart - done.startedAt;
  return { jobs, batchSize, wallMs, jobsPerSecond: (jobs * 1000) / wallMs, costs };
}

/** A fresh djq system, an unmeasured warm-up of the same shape, one measured run. */
export function runOneByOne(jobs: number, warmUpJobs: number): Promise<OneByOneRun> {
  return withSystem({ fleet: fleetUser }, async ({ producer, workers, queue }) => {
    const peers = { producer, workers, brokerPid: queue.pid };
    if (warmUpJobs > 0) await measureOneByOne(peers, warmUpJobs);
    return measureOneByOne(peers, jobs);
  });
}

/**
 * U's one-at-a-time shape on one system kept running: `rounds` measured runs of `jobs` each, one
 * after another, so that the later ones find the queue's table of submission keys full (the
 * client library keys every submit) and the queue evicting a key for every one it takes.
 */
export function runOneByOneLongLived(jobs: number, rounds: number): Promise<OneByOneRun[]> {
  return withSystem({ fleet: fleetUser }, async ({ producer, workers, queue }) => {
    const peers = { producer, workers, brokerPid: queue.pid };
    const runs: OneByOneRun[] = [];
    for (let round = 0; round < rounds; round++) runs.push(await measureOneByOne(peers, jobs));
    return runs;
  });
}

/** A fresh djq system, unmeasured warm-up runs until `warmUpJobs` have run, one measured run. */
export function runBatches(jobs: number, batchSize: number, warmUpJobs: number): Promise<BatchesRun> {
  return withSystem({ fleet: fleetUser }, async ({ producer, workers, queue }) => {
    const peers = { producer, workers, brokerPid: queue.pid };
    for (let warmedUp = 0; warmedUp < warmUpJobs; warmedUp += jobs) await measureBatches(peers, Math.min(jobs, warmUpJobs - warmedUp), batchSize);
    return measureBatches(peers, jobs, batchSize);
  });
}
