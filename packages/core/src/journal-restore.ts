// Rebuilds the core from its journal at start-up. Records are gathered first (the last whole
// record of a job wins, as it said what the job became, and a lease or completion written as
// numbers changes the job gathered so far), then every structure is built once in the order
// it needs: pending jobs by their place in line, settled jobs by when they settled, keys by when
// they were opened. Running jobs stay running under their leases for a grace window, held by a
// worker record with no connection: a worker that says hello again with `holding` in time keeps
// them, and past the window the ordinary silence check loses the worker and requeues them.
import { DEFAULT_QUEUE_NAME, forEachCompletedJob, forEachPendingJob, forEachStartedJob, isTerminal, type JobSnapshot, type JobsCompleted, type JobsStarted, type JournalRecord, type KeySnapshot, type PendingJobs, type Totals } from "@djq/protocol";
import type { CoreState } from "./core-state.js";
import { IdTable } from "./id-table.js";
import { JobRecord, type AttemptRecord } from "./job-record.js";
import { JOB_RECORD_BYTES } from "./memory-budget.js";
import type { NamedQueue } from "./named-queue.js";
import { countSubmission, zeroTotals } from "./totals.js";
import { WorkerRecord } from "./worker-record.js";

export class Restoration {
  /** By id, in id order: a paged array, since a million pending jobs make a Map dear here. A job
   * of a `pending-jobs` run is built at once (its record would be the job's only other copy). */
  private readonly jobs = new IdTable<JobSnapshot | JobRecord>();
  private readonly keys = new Map<string, KeySnapshot>();
  private readonly paused = new Map<string, boolean>();
  private lastJobId = 0;
  private lastLease = 0;
  private lastOrder = 0;
  private lastListOrder = 0;
  /** The statistics totals as the records make them: a snapshot's at its cut, then each
   * submission and completion the records after it imply and each `totals` record's values. */
  private readonly totals: Totals = zeroTotals();

  /** Jobs of runs are built as they are read, in `core`'s queues; the rest of `core` is only
   * touched by `finish`. */
  constructor(private readonly core: CoreState) {}

  /** Gathers the record; the reason if it is refused (and then nothing of it is applied). */
  add(record: JournalRecord): string | undefined {
    switch (record.type) {
      case "snapshot":
        this.lastJobId = Math.max(this.lastJobId, record.lastJobId);
        this.lastLease = Math.max(this.lastLease, record.lastLease);
        this.lastOrder = Math.max(this.lastOrder, record.lastOrder);
        this.lastListOrder = Math.max(this.lastListOrder, record.lastListOrder ?? 0);
        for (const queue of record.pausedQueues) this.paused.set(queue, true);
        if (record.totals !== undefined) Object.assign(this.totals, record.totals);
        return;
      case "totals": {
        const { type: _type, ...totals } = record;
        Object.assign(this.totals, totals);
        return;
      }
      case "job":
        this.jobs.set(record.jobId, record);
        this.lastJobId = countSubmission(record.jobId, this.lastJobId, this.totals);
        if (record.lease !== undefined && record.lease > this.lastLease) this.lastLease = record.lease;
        if (record.order !== undefined && record.order > this.lastOrder) this.lastOrder = record.order;
        if (record.listOrder !== undefined && record.listOrder > this.lastListOrder) this.lastListOrder = record.listOrder;
        return;
      case "pending-jobs":
        this.addPendingJobs(record);
        return;
      case "jobs-started":
        return this.addStarted(record);
      case "jobs-completed":
        return this.addCompleted(record);
      case "key":
        this.keys.delete(record.key);
        this.keys.set(record.key, record);
        return;
      case "queue-paused":
        this.paused.set(record.queue, record.paused);
        return;
      case "journal-created":
      case "queue-started":
      case "snapshot-end":
        return;
      default:
        // The schema refuses any other type before here; a new one must be handled above.
        throw new Error(`a journal record of type "${(record as { type: string }).type}" is not one this queue writes`);
    }
  }

  /** Each job of the run as a pending job that never ran, all sharing the run's spec object. A
   * later record of one of them replaces it, as it would replace a `job` record. */
  private addPendingJobs(run: PendingJobs): void {
    const queue = queueOf(this.core, run.spec.queue ?? DEFAULT_QUEUE_NAME);
    forEachPendingJob(run.jobs, (jobId, order, submittedAt) => {
      const job = new JobRecord(jobId, run.spec, queue, submittedAt, "pending");
      job.order = order;
      job.payloadBytes = run.payloadBytes ?? 0;
      job.deadlineAt = submittedAt;
      this.jobs.set(jobId, job);
      this.lastJobId = countSubmission(jobId, this.lastJobId, this.totals);
      if (order > this.lastOrder) this.lastOrder = order;
    });
  }

  /** Each job starts the attempt as `assign` started it. Attempts under this lease or later
   * ones are dropped first: a snapshot written while the queue ran may already hold them, and
   * the records after this one in the log bring them back as they were. */
  private addStarted(record: JobsStarted): string | undefined {
    let refused: string | undefined;
    forEachStartedJob(record, ({ jobId }) => void (refused ??= this.missing(jobId, record.type)));
    if (refused !== undefined) return refused;
    forEachStartedJob(record, ({ jobId, lease, attempt, workerId, startedAt, leaseExpiresAt, listOrder }) => {
      const job = this.held(jobId);
      job.state = "running";
      job.attempts = attempt;
      job.lease = lease;
      job.listOrder = listOrder;
      job.deadlineAt = leaseExpiresAt;
      const history = (job.history ?? []).filter((earlier) => earlier.lease < lease);
      history.push({ attempt, lease, workerId, startedAt, endedAt: undefined, outcome: "running", error: undefined });
      job.history = history;
      if (lease > this.lastLease) this.lastLease = lease;
      if (listOrder > this.lastListOrder) this.lastListOrder = listOrder;
    });
    return undefined;
  }

  /** Each job settles as `complete` settled it, ending the attempt under its lease. */
  private addCompleted(record: JobsCompleted): string | undefined {
    let refused: string | undefined;
    forEachCompletedJob(record, ({ jobId, lease }) => {
      refused ??= this.missing(jobId, record.type);
      if (refused === undefined && attemptUnder(this.jobs.get(jobId) as JobSnapshot | JobRecord, lease) === undefined) {
        refused = `a ${record.type} record completes job ${jobId} under lease ${lease}, an attempt the journal does not hold`;
      }
    });
    if (refused !== undefined) return refused;
    forEachCompletedJob(record, ({ jobId, lease, listOrder, settledAt, resultBytes, result }) => {
      this.totals.completed += 1;
      const job = this.held(jobId);
      const attempt = attemptUnder(job, lease) as AttemptRecord;
      attempt.endedAt = settledAt;
      attempt.outcome = "completed";
      attempt.error = undefined;
      job.state = "completed";
      job.lease = lease;
      job.listOrder = listOrder;
      job.result = result;
      job.resultBytes = resultBytes;
      job.error = undefined;
      job.settledAt = settledAt;
      if (listOrder > this.lastListOrder) this.lastListOrder = listOrder;
    });
    return undefined;
  }

  private missing(jobId: number, type: JournalRecord["type"]): string | undefined {
    return this.jobs.get(jobId) === undefined ? `a ${type} record names job ${jobId}, which the journal does not hold` : undefined;
  }

  /** The job, which `missing` found held, as a record to change in place. */
  private held(jobId: number): JobRecord {
    const entry = this.jobs.get(jobId) as JobSnapshot | JobRecord;
    if (entry instanceof JobRecord) return entry;
    const job = rebuild(this.core, entry);
    if (entry.state === "running") job.deadlineAt = entry.leaseExpiresAt ?? 0;
    else if (entry.state === "delayed") job.deadlineAt = entry.runAt ?? 0;
    this.jobs.set(jobId, job);
    return job;
  }

  /** Builds the state; `now` is the start's time, running jobs wait `graceMs` for their workers. */
  finish(core: CoreState, now: number, graceMs: number): void {
    core.lastJobId = Math.max(core.lastJobId, this.lastJobId);
    core.lastLease = Math.max(core.lastLease, this.lastLease);
    core.lastOrder = Math.max(core.lastOrder, this.lastOrder);
    core.lastListOrder = Math.max(core.lastListOrder, this.lastListOrder);
    Object.assign(core.totals, this.totals);
    core.changes?.restored(core.totals, core.lastJobId);
    for (const [name, paused] of this.paused) queueOf(core, name).paused = paused;
    const pending: JobRecord[] = [];
    const settled: JobRecord[] = [];
    for (const entry of this.jobs.values()) {
      const job = entry instanceof JobRecord ? entry : rebuild(core, entry);
      admit(core, job);
      switch (job.state) {
        case "pending":
          pending.push(job);
          break;
        case "delayed":
          job.deadlineAt = entry instanceof JobRecord ? job.deadlineAt : (entry.runAt ?? now);
          core.deadlines.push(job);
          break;
        case "running":
          if (entry instanceof JobRecord) holdForWorker(core, job, job.currentAttempt?.workerId, job.deadlineAt, now, graceMs);
          else holdForWorker(core, job, entry.workerId ?? job.currentAttempt?.workerId, entry.leaseExpiresAt ?? 0, now, graceMs);
          break;
        default:
          settled.push(job);
      }
    }
    // Usually in order already (ids and places in line both count up): sorting then costs a scan.
    const byPlace = (a: JobRecord, b: JobRecord) => a.order - b.order;
    if (!inOrder(pending, byPlace)) pending.sort(byPlace);
    for (const job of pending) job.queue.append(job);
    // Retention drops the oldest first and `list` pages through it with a cursor on listing
    // places, so it is rebuilt in the order of those places (given out as jobs settled; a record
    // from before listings had places has none, and goes first, by when it settled).
    const bySettling = (a: JobRecord, b: JobRecord) => a.listOrder - b.listOrder || a.settledAt - b.settledAt;
    if (!inOrder(settled, bySettling)) settled.sort(bySettling);
    for (const job of settled) core.retention.keep(job);
    for (const key of [...this.keys.values()].sort((a, b) => a.at - b.at)) core.keys.remember(key.key, key.jobIds, key.bodyDigest ?? "", key.at);
    this.keys.clear();
    // A queue named only by a pause since undone holds nothing: forgotten as a live run would have.
    for (const queue of [...core.queues.values()]) core.forgetQueueIfUnused(queue);
  }
}

function attemptUnder(job: JobSnapshot | JobRecord, lease: number): { lease: number } | undefined {
  return job.history?.find((attempt) => attempt.lease === lease);
}

function inOrder(jobs: readonly JobRecord[], compare: (a: JobRecord, b: JobRecord) => number): boolean {
  for (let i = 1; i < jobs.length; i += 1) if (compare(jobs[i - 1] as JobRecord, jobs[i] as JobRecord) > 0) return false;
  return true;
}

function queueOf(core: CoreState, name: string): NamedQueue {
  const queue = core.queueNamed(name);
  if (queue === undefined) throw new Error(`the journal names more queues than --max-queues allows (${core.config.maxQueues})`);
  return queue;
}

function rebuild(core: CoreState, record: JobSnapshot): JobRecord {
  const queue = queueOf(core, record.spec.queue ?? DEFAULT_QUEUE_NAME);
  const job = new JobRecord(record.jobId, record.spec, queue, record.submittedAt, record.state);
  job.attempts = record.attempts;
  job.order = record.order ?? 0;
  if (record.listOrder !== undefined && record.state !== "pending") job.listOrder = record.listOrder;
  job.payloadBytes = record.payloadBytes ?? 0;
  if (record.lease !== undefined) job.lease = record.lease;
  if (record.history.length > 0) job.history = record.history.map(attemptRecord);
  job.error = record.error;
  if (isTerminal(record.state)) {
    job.result = record.result;
    job.resultBytes = record.resultBytes ?? 0;
    job.settledAt = record.settledAt ?? 0;
  } else if (record.state === "pending") {
    job.deadlineAt = record.submittedAt;
  }
  return job;
}

/** The job joins the core's table, counts and memory charge. */
function admit(core: CoreState, job: JobRecord): void {
  core.memory.charge(JOB_RECORD_BYTES + job.payloadBytes + job.resultBytes);
  core.jobs.set(job.id, job);
  core.counts[job.state] += 1;
  job.queue.counts[job.state] += 1;
}

function holdForWorker(core: CoreState, job: JobRecord, heldBy: string | undefined, leaseExpiresAt: number, now: number, graceMs: number): void {
  const workerId = heldBy ?? "";
  let worker = core.workers.get(workerId);
  if (worker === undefined) {
    worker = new WorkerRecord(workerId, [], now, core.config.heartbeatTimeoutMs, undefined);
    // Silent until the grace window ends: then the silence check loses it like any other.
    worker.lastSeenAt = now + graceMs - core.config.heartbeatTimeoutMs;
    worker.deadlineAt = now + graceMs;
    core.workers.add(worker);
    core.deadlines.push(worker);
  }
  job.worker = worker;
  worker.running.add(job);
  job.deadlineAt = Math.max(leaseExpiresAt, now + graceMs);
  core.deadlines.push(job);
}

function attemptRecord(view: JobSnapshot["history"][number]): AttemptRecord {
  return {
    attempt: view.attempt,
    lease: view.lease,
    workerId: view.workerId,
    startedAt: view.startedAt,
    endedAt: view.endedAt,
    outcome: view.outcome,
    error: view.error,
  };
}
