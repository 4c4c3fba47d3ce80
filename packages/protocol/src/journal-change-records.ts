// The two commonest changes of a job, written compactly: a turn's leases (pending → running) and
// a turn's completions (running → completed). Each is one record per turn holding a few
// delta-coded whole numbers per job, not a `job` record each with its spec and history, so a
// job's round trip costs the queue a few numbers to encode instead of two ~300-byte objects.
// Like a `job` record, each says what the state became (lease numbers, listing places, times),
// never what was asked, so applying one twice leaves the same state; unlike it, each changes a
// job the journal already holds, and a reader that does not hold the job has damage.
import { z } from "zod";
import { WorkerId } from "./hello.js";

/** Whole numbers per job in a `jobs-started` record. */
export const STARTED_JOB_FIELDS = 7;
/** Whole numbers per job in a `jobs-completed` record. */
export const COMPLETED_JOB_FIELDS = 6;

export interface JobStart {
  jobId: number;
  lease: number;
  /** The attempt it starts, counted as the job's attempts are. */
  attempt: number;
  workerId: string;
  startedAt: number;
  leaseExpiresAt: number;
  /** Its place in the running listing. */
  listOrder: number;
}

export interface JobCompletion {
  jobId: number;
  /** The lease of the attempt that completed it. */
  lease: number;
  /** Its place in the settled listing. */
  listOrder: number;
  settledAt: number;
  resultBytes: number;
  /** The worker's result; absent (not null) when the worker gave none. */
  result?: unknown;
}

/**
 * Jobs handed to workers, each starting an attempt under a new lease. `jobs` holds seven whole
 * numbers per job: its id, its lease, its running-listing place and its start time, each less
 * the same number of the job before (the first job's less zero); then the attempt it starts,
 * its worker's index in `workers`, and how long its lease runs (the lease expires at the start
 * time plus that).
 */
export const JobsStarted = z.strictObject({
  type: z.literal("jobs-started"),
  workers: z.array(WorkerId).min(1),
  jobs: z.custom<number[]>((value) => isDeltaRun(value, STARTED_JOB_FIELDS), "seven whole numbers per job (see the jobs-started record)"),
});
export type JobsStarted = z.infer<typeof JobsStarted> & { jobs: number[] };

/**
 * Running jobs completed by their workers. `jobs` holds six whole numbers per job: its id, its
 * lease, its settled-listing place and its settling time, each less the same number of the job
 * before; then its result's encoded size in bytes, and 1 if it has a result (the next of
 * `results`, in order) or 0 if the worker gave none.
 */
export const JobsCompleted = z.strictObject({
  type: z.literal("jobs-completed"),
  jobs: z.custom<number[]>((value) => isDeltaRun(value, COMPLETED_JOB_FIELDS), "six whole numbers per job (see the jobs-completed record)"),
  results: z.array(z.unknown()),
});
export type JobsCompleted = z.infer<typeof JobsCompleted> & { jobs: number[] };

/** Calls `visit` with each job of a `jobs-started` record, in order. Throws on a worker index
 * the record does not hold. */
export function forEachStartedJob(record: JobsStarted, visit: (job: JobStart) => void): void {
  const { jobs, workers } = record;
  forEachDeltaRun(jobs, STARTED_JOB_FIELDS, (i, jobId, lease, listOrder, startedAt) => {
    const workerId = workers[jobs[i + 5] as number];
    if (workerId === undefined) throw new Error(`a jobs-started record names worker ${jobs[i + 5]} of ${workers.length}`);
    visit({ jobId, lease, attempt: jobs[i + 4] as number, workerId, startedAt, leaseExpiresAt: startedAt + (jobs[i + 6] as number), listOrder });
  });
}

/** Calls `visit` with each job of a `jobs-completed` record, in order. Throws if the record
 * flags another number of results than it holds. */
export function forEachCompletedJob(record: JobsCompleted, visit: (job: JobCompletion) => void): void {
  const { jobs, results } = record;
  let nextResult = 0;
  forEachDeltaRun(jobs, COMPLETED_JOB_FIELDS, (i, jobId, lease, listOrder, settledAt) => {
    const job: JobCompletion = { jobId, lease, listOrder, settledAt, resultBytes: jobs[i + 4] as number };
    if (jobs[i + 5] === 1) {
      if (nextResult >= results.length) throw new Error(`a jobs-completed record flags more results than its ${results.length}`);
      job.result = results[nextResult++];
    }
    visit(job);
  });
  if (nextResult !== results.length) throw new Error(`a jobs-completed record holds ${results.length} results but flags ${nextResult}`);
}

/** Each job of `jobs` (`fields` numbers each): where it starts, and its first four numbers summed with those before. */
function forEachDeltaRun(jobs: readonly number[], fields: number, visit: (i: number, n0: number, n1: number, n2: number, n3: number) => void): void {
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  let n3 = 0;
  for (let i = 0; i + fields <= jobs.length; i += fields) {
    n0 += jobs[i] as number;
    n1 += jobs[i + 1] as number;
    n2 += jobs[i + 2] as number;
    n3 += jobs[i + 3] as number;
    visit(i, n0, n1, n2, n3);
  }
}

/** A record's `jobs` being written: each job's first four numbers go in less the job before's. */
class DeltaRun {
  readonly jobs: number[] = [];
  private last0 = 0;
  private last1 = 0;
  private last2 = 0;
  private last3 = 0;

  /** Starts a job with its four delta-coded numbers; its plain ones follow with `jobs.push`. */
  start(n0: number, n1: number, n2: number, n3: number): void {
    this.jobs.push(n0 - this.last0, n1 - this.last1, n2 - this.last2, n3 - this.last3);
    this.last0 = n0;
    this.last1 = n1;
    this.last2 = n2;
    this.last3 = n3;
  }
}

/** Writes a turn's leases as one record: `add` each job, then `record()`. */
export class StartedJobsWriter {
  private readonly run = new DeltaRun();
  private readonly workers: string[] = [];
  private readonly workerIndex = new Map<string, number>();

  add(jobId: number, lease: number, attempt: number, workerId: string, startedAt: number, leaseExpiresAt: number, listOrder: number): void {
    let worker = this.workerIndex.get(workerId);
    if (worker === undefined) {
      worker = this.workers.push(workerId) - 1;
      this.workerIndex.set(workerId, worker);
    }
    this.run.start(jobId, lease, listOrder, startedAt);
    this.run.jobs.push(attempt, worker, leaseExpiresAt - startedAt);
  }

  record(): JobsStarted {
    return { type: "jobs-started", workers: this.workers, jobs: this.run.jobs };
  }
}

/** Writes a turn's completions as one record: `add` each job, then `record()`. */
export class CompletedJobsWriter {
  private readonly run = new DeltaRun();
  private readonly results: unknown[] = [];

  add(jobId: number, lease: number, listOrder: number, settledAt: number, resultBytes: number, result: unknown): void {
    this.run.start(jobId, lease, listOrder, settledAt);
    this.run.jobs.push(resultBytes, result === undefined ? 0 : 1);
    if (result !== undefined) this.results.push(result);
  }

  record(): JobsCompleted {
    return { type: "jobs-completed", jobs: this.run.jobs, results: this.results };
  }
}

/** Checked with plain loops, not an element schema: a turn's record holds hundreds of numbers.
 * Every number is a safe integer and every running total (ids, leases, places, times) and
 * every plain field is one a job can have: ids, leases and places 1 or more, times, sizes and
 * durations 0 or more, attempts 1 or more, flags 0 or 1. */
function isDeltaRun(value: unknown, fields: number): boolean {
  if (!Array.isArray(value) || value.length === 0 || value.length % fields !== 0) return false;
  const totals = [0, 0, 0, 0];
  for (let i = 0; i < value.length; i += fields) {
    for (let f = 0; f < fields; f += 1) if (!Number.isSafeInteger(value[i + f])) return false;
    for (let f = 0; f < 4; f += 1) {
      totals[f] = (totals[f] as number) + (value[i + f] as number);
      if ((totals[f] as number) < (f < 3 ? 1 : 0)) return false;
    }
    if (fields === STARTED_JOB_FIELDS) {
      if (value[i + 4] < 1 || value[i + 5] < 0 || value[i + 6] < 0) return false;
    } else if (value[i + 4] < 0 || (value[i + 5] !== 0 && value[i + 5] !== 1)) return false;
  }
  return true;
}
