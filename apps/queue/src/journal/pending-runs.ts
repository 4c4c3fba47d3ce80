// A backlog is mostly jobs alike that never ran: a bulk submission, or what a snapshot finds
// waiting in line. Consecutive ones with the same spec are written as one `pending-jobs` record
// (the spec once, a few bytes per job) instead of a `job` record each, so a million waiting jobs
// take megabytes, not a hundred of them, and are read back in a fraction of the time.
import type { JobSnapshot, JournalRecord, PendingJobs } from "@djq/protocol";

/** At most this many jobs in one record: tens of kilobytes besides the spec, so no record of a
 * run comes near the journal's record limit that a single job's record would not. */
export const MAX_RUN_JOBS = 4096;

/** The fields a pending job that never ran has: any other set field keeps it a `job` record. */
const plainFields: ReadonlySet<string> = new Set(["type", "jobId", "spec", "submittedAt", "state", "attempts", "order", "history", "payloadBytes"]);

function isPlainPending(record: JournalRecord): record is JobSnapshot & { order: number } {
  if (record.type !== "job" || record.state !== "pending" || record.attempts !== 0 || record.history.length !== 0 || record.order === undefined) return false;
  for (const field in record) if (!plainFields.has(field) && (record as Record<string, unknown>)[field] !== undefined) return false;
  return true;
}

class Run {
  private specJson: string | undefined;
  readonly jobs: number[];
  private count = 1;
  private last: JobSnapshot & { order: number };

  constructor(readonly first: JobSnapshot & { order: number }) {
    this.jobs = [first.jobId, first.order, first.submittedAt];
    this.last = first;
  }

  /** Adds the job if it belongs in this run; false if it starts another. */
  add(job: JobSnapshot & { order: number }): boolean {
    if (this.count >= MAX_RUN_JOBS || (job.payloadBytes ?? 0) !== (this.first.payloadBytes ?? 0)) return false;
    if (job.spec !== this.first.spec) {
      this.specJson ??= JSON.stringify(this.first.spec);
      if (JSON.stringify(job.spec) !== this.specJson) return false;
    }
    const last = this.last;
    this.jobs.push(job.jobId - last.jobId, job.order - last.order, job.submittedAt - last.submittedAt);
    this.last = job;
    this.count += 1;
    return true;
  }

  /** One job alone stays a `job` record: nothing is shared. */
  record(): JobSnapshot | PendingJobs {
    if (this.count === 1) return this.first;
    const payloadBytes = this.first.payloadBytes ?? 0;
    return payloadBytes > 0
      ? { type: "pending-jobs", spec: this.first.spec, payloadBytes, jobs: this.jobs }
      : { type: "pending-jobs", spec: this.first.spec, jobs: this.jobs };
  }
}

/** The records in order, with each run of consecutive plain pending jobs of one spec as one record. */
export function* withPendingRuns<T extends JournalRecord>(records: Iterable<T>): Generator<T | PendingJobs | JobSnapshot> {
  let run: Run | undefined;
  for (const record of records) {
    if (isPlainPending(record)) {
      if (run?.add(record) === true) continue;
      if (run !== undefined) yield run.record();
      run = new Run(record);
      continue;
    }
    if (run !== undefined) yield run.record();
    run = undefined;
    yield record;
  }
  if (run !== undefined) yield run.record();
}

/** How many jobs a record holds: a run counts each of its jobs. */
export function jobsIn(record: JournalRecord): number {
  if (record.type === "job") return 1;
  if (record.type === "pending-jobs") return record.jobs.length / 3;
  return 0;
}
