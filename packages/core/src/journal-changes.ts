// What the core tells its journal: each job a turn changed, as it stood at the end of the turn,
// each submission key opened, each pause, and the statistics totals the turn changed that its job
// records do not imply. Jobs are only marked as they change and encoded
// when the shell takes the changes, so a job that moves five times in one turn is one record,
// and the record says what the state became, never what was asked: replaying it runs no
// decision again, and replaying it twice leaves the same state. A job whose one change since
// its last record is the commonest (leased, or completed) goes into the turn's `jobs-started`
// or `jobs-completed` record as a few numbers, since the journal already holds the rest of it.
// The two commonest changes of the totals go without a record of their own: a job record with
// an id the journal has not held before counts one submission, and each job of a `jobs-completed`
// record one completion (see countSubmission, which replay applies too).
import { CompletedJobsWriter, StartedJobsWriter, type JobSnapshot, type JobState, type JournalRecord, type KeySnapshot, type Totals } from "@djq/protocol";
import type { JobRecord } from "./job-record.js";
import { countSubmission, totalNames, zeroTotals } from "./totals.js";
import { attemptView } from "./views.js";

/** What a changed job's record will be: all of it, or only its one lease or completion, or, for a
 * job submitted and started in the same event (a worker was waiting), the job as submitted and its
 * lease, which a run of pending jobs and a `jobs-started` record hold in a few numbers each. */
const enum Change {
  whole,
  submitted,
  started,
  completed,
  submittedAndStarted,
}

export class ChangeLog {
  private readonly jobs = new Map<JobRecord, Change>();
  private others: JournalRecord[] = [];
  /** The totals as the journal's records so far make them: a `totals` record is due when they differ. */
  private readonly recordedTotals: Totals = zeroTotals();
  /** The highest job id the journal holds a record of: a record of a higher one is a submission. */
  private recordedLastJobId = 0;

  /** The job is new: its record holds all of it. */
  job(job: JobRecord): void {
    this.jobs.set(job, Change.submitted);
  }

  /** The job moved: a lease or a completion alone since its last record is written compactly,
   * anything more makes its record whole. */
  moved(job: JobRecord, from: JobState, to: JobState): void {
    const change = this.jobs.get(job);
    if (change === Change.submitted && from === "pending" && to === "running") this.jobs.set(job, Change.submittedAndStarted);
    else if (change !== undefined) this.jobs.set(job, Change.whole);
    else if (from === "pending" && to === "running") this.jobs.set(job, Change.started);
    else if (from === "running" && to === "completed") this.jobs.set(job, Change.completed);
    else this.jobs.set(job, Change.whole);
  }

  key(key: string, jobIds: number[], bodyDigest: string, at: number): void {
    this.others.push(keySnapshot(key, jobIds, bodyDigest, at));
  }

  paused(queue: string, paused: boolean, at: number): void {
    this.others.push({ type: "queue-paused", at, queue, paused });
  }

  /** What the journal holds already (restored from it): no totals record until they change, and
   * job ids up to `lastJobId` are not new. */
  restored(totals: Totals, lastJobId: number): void {
    Object.assign(this.recordedTotals, totals);
    this.recordedLastJobId = lastJobId;
  }

  /** The records of the event just handled: each changed job, then keys and pauses, then the
   * totals the event changed beyond what those records imply (a refused stale report changes one
   * and nothing else). */
  take(totals: Totals): JournalRecord[] {
    const records: JournalRecord[] = [];
    let started: StartedJobsWriter | undefined;
    let completed: CompletedJobsWriter | undefined;
    let completions = 0;
    for (const [job, change] of this.jobs) {
      this.recordedLastJobId = countSubmission(job.id, this.recordedLastJobId, this.recordedTotals);
      if (change === Change.started || change === Change.submittedAndStarted) {
        if (change === Change.submittedAndStarted) records.push(submittedJobSnapshot(job));
        const attempt = job.currentAttempt as NonNullable<JobRecord["currentAttempt"]>;
        (started ??= new StartedJobsWriter()).add(job.id, job.lease, job.attempts, attempt.workerId, attempt.startedAt, job.deadlineAt, job.listOrder);
      } else if (change === Change.completed) {
        (completed ??= new CompletedJobsWriter()).add(job.id, job.lease, job.listOrder, job.settledAt, job.resultBytes, job.result);
        completions += 1;
      } else {
        records.push(jobSnapshot(job));
      }
    }
    this.jobs.clear();
    this.recordedTotals.completed += completions;
    if (started !== undefined) records.push(started.record());
    if (completed !== undefined) records.push(completed.record());
    for (const other of this.others) records.push(other);
    this.others = [];
    const changedTotals = this.takeChangedTotals(totals);
    if (changedTotals !== undefined) records.push({ type: "totals", ...changedTotals });
    return records;
  }

  /** Only the totals that changed, each as it became: most events change one or two of seven. */
  private takeChangedTotals(totals: Totals): Partial<Totals> | undefined {
    let changed: Partial<Totals> | undefined;
    for (const name of totalNames) {
      if (totals[name] === this.recordedTotals[name]) continue;
      changed ??= {};
      changed[name] = totals[name];
      this.recordedTotals[name] = totals[name];
    }
    return changed;
  }
}

/** One job as it stands: what a segment records for a changed job and a snapshot for a live one. */
export function jobSnapshot(job: JobRecord): JobSnapshot {
  const record: JobSnapshot = {
    type: "job",
    jobId: job.id,
    spec: job.spec,
    submittedAt: job.submittedAt,
    state: job.state,
    attempts: job.attempts,
    history: job.history === undefined ? [] : job.history.map(attemptView),
  };
  if (job.order > 0) record.order = job.order;
  if (job.state !== "pending" && job.listOrder > 0) record.listOrder = job.listOrder;
  if (job.lease > 0) record.lease = job.lease;
  if (job.payloadBytes > 0) record.payloadBytes = job.payloadBytes;
  switch (job.state) {
    case "delayed":
      record.runAt = job.deadlineAt;
      break;
    case "running":
      if (job.worker !== undefined) record.workerId = job.worker.id;
      record.leaseExpiresAt = job.deadlineAt;
      break;
    case "pending":
      break;
    default:
      if (job.result !== undefined) record.result = job.result;
      if (job.resultBytes > 0) record.resultBytes = job.resultBytes;
      record.settledAt = job.settledAt;
  }
  if (job.error !== undefined) record.error = job.error;
  return record;
}

/** A job submitted and started in one event, as it stood when submitted: waiting, never run. */
function submittedJobSnapshot(job: JobRecord): JobSnapshot {
  const record: JobSnapshot = { type: "job", jobId: job.id, spec: job.spec, submittedAt: job.submittedAt, state: "pending", attempts: 0, history: [], order: job.order };
  if (job.payloadBytes > 0) record.payloadBytes = job.payloadBytes;
  return record;
}

export function keySnapshot(key: string, jobIds: number[], bodyDigest: string, at: number): KeySnapshot {
  return bodyDigest === "" ? { type: "key", key, jobIds, at } : { type: "key", key, jobIds, bodyDigest, at };
}
