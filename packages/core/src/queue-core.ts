// The job-state machine of the whole queue. Every call takes the current time as `now` and
// first runs whatever fell due before it, so behaviour depends only on the sequence of calls:
// no clock, no timers, no I/O. Expected refusals are returned as values; a broken invariant throws.
import {
  DEFAULT_QUEUE_NAME,
  ErrorCode,
  type AttemptOutcome,
  type Assignment,
  type HeldLease,
  type JobSpec,
  type JobState,
  type Progress,
  type RecentEvent,
  type Refusal,
} from "@djq/protocol";
import { AssignmentLatency } from "./assignment-latency.js";
import type { Effect } from "./effects.js";
import { assignmentBytes } from "./encoded-size.js";
import { JOB_RECORD_BYTES, MemoryBudget, type MemoryLimits } from "./memory-budget.js";
import { IdempotencyKeys, type IdempotencyLimits } from "./idempotency.js";
import { IndexedHeap } from "./indexed-heap.js";
import { JobRecord, type AttemptRecord } from "./job-record.js";
import { IdTable } from "./id-table.js";
import { canMove, emptyCounts, type StateCounts } from "./job-states.js";
import { NamedQueue } from "./named-queue.js";
import { Retention, type RetentionLimits } from "./retention.js";
import { defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./retry-policy.js";
import { WorkerRecord } from "./worker-record.js";

export interface CoreConfig {
  /** A worker not heard from for this long is lost; its jobs go back to pending. */
  heartbeatTimeoutMs: number;
  /** Run timeout of an attempt unless the job sets its own. */
  defaultTimeoutMs: number;
  defaultMaxAttempts: number;
  retry: RetryPolicy;
  /** Pending + delayed + running jobs at most; past it submissions are refused. */
  maxUnfinishedJobs: number;
  maxQueues: number;
  retention: RetentionLimits;
  idempotency: IdempotencyLimits;
  recentEvents: number;
  memory: MemoryLimits;
  /** Assignments in one `assign` at most, in encoded bytes: what fits a frame beside its envelope. */
  maxAssignBytes: number;
}

export const defaultCoreConfig: CoreConfig = {
  heartbeatTimeoutMs: 800,
  defaultTimeoutMs: 60_000,
  defaultMaxAttempts: 5,
  retry: defaultRetryPolicy,
  maxUnfinishedJobs: 2_000_000,
  maxQueues: 1_000,
  retention: { maxJobs: 100_000, maxAgeMs: 3600_000 },
  idempotency: { maxKeys: 100_000, windowMs: 10 * 60_000 },
  recentEvents: 50,
  memory: { maxBytes: 1024 * 1024 * 1024, maxResultBytes: 64 * 1024 },
  maxAssignBytes: 1024 * 1024 - 1024,
};

export type Refused = { ok: false; code: ErrorCode; message: string };
export type Result<T> = { ok: true; value: T } | Refused;

const refused = (code: ErrorCode, message: string): Refused => ({ ok: false, code, message });
const done = <T>(value: T): Result<T> => ({ ok: true, value });

export interface SubmitOptions {
  key?: string | undefined;
  watch?: boolean | undefined;
  /** Encoded size of each job's payload, as the shell measured it; absent means none. */
  payloadBytes?: readonly number[] | undefined;
}

export interface Totals {
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  reassigned: number;
  retried: number;
  staleRefused: number;
}

type Timed = JobRecord | WorkerRecord;

export class QueueCore {
  readonly config: CoreConfig;
  readonly counts: StateCounts = emptyCounts();
  readonly totals: Totals = { submitted: 0, completed: 0, failed: 0, cancelled: 0, reassigned: 0, retried: 0, staleRefused: 0 };
  readonly assignmentLatency = new AssignmentLatency();
  private readonly jobs = new IdTable<JobRecord>();
  private readonly queues = new Map<string, NamedQueue>();
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly deadlines = new IndexedHeap<Timed>(
    (a, b) => a.deadlineAt < b.deadlineAt || (a.deadlineAt === b.deadlineAt && tiebreak(a) < tiebreak(b)),
  );
  private readonly retention: Retention;
  readonly memory: MemoryBudget;
  private readonly keys: IdempotencyKeys;
  private lastJobId = 0;
  private lastOrder = 0;
  private lastLease = 0;
  private effects: Effect[] = [];
  private readonly recent: RecentEvent[] = [];
  private readonly completedBuckets = new Array<number>(60).fill(0);
  private completedBucketSecond = 0;

  constructor(config: Partial<CoreConfig> = {}) {
    this.config = { ...defaultCoreConfig, ...config };
    this.memory = new MemoryBudget(this.config.memory);
    this.retention = new Retention(this.config.retention, this.memory);
    this.keys = new IdempotencyKeys(this.config.idempotency);
  }

  /** The effects produced since the last call, in the order they must be performed. */
  takeEffects(): Effect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  /** When `advance` next has work to do; the shell arms its one timer for this instant. */
  nextWakeAt(): number | undefined {
    let at = this.deadlines.peek()?.deadlineAt;
    for (const candidate of [this.retention.nextExpiryAt(), this.keys.nextExpiryAt()]) {
      if (candidate !== undefined && (at === undefined || candidate < at)) at = candidate;
    }
    return at;
  }

  /** Runs everything due at or before `now`: delayed jobs, lease expiries, silent workers, retention. */
  advance(now: number): void {
    for (let next = this.deadlines.peek(); next !== undefined && next.deadlineAt <= now; next = this.deadlines.peek()) {
      if (next instanceof WorkerRecord) this.checkSilence(next, now);
      else if (next.state === "delayed") this.becomeDue(next, now);
      else this.timeOut(next, now);
    }
    this.retention.evict(now, (job) => this.forgetJob(job));
    this.keys.evict(now);
  }

  // ---- clients -------------------------------------------------------------------------

  // {"type":"submit","jobs":[{"durationMs":500}],"key":"k1","watch":true}
  submit(now: number, specs: readonly JobSpec[], options: SubmitOptions = {}): Result<number[]> {
    this.advance(now);
    if (options.key !== undefined) {
      const earlier = this.keys.lookup(options.key);
      if (earlier !== undefined) {
        if (options.watch) for (const id of earlier) this.watchOne(id);
        return done(earlier);
      }
    }
    const full = this.refuseIfFull(specs.length) ?? this.refuseIfNoRoom(specs.length, options.payloadBytes);
    if (full !== undefined) return full;
    const named: NamedQueue[] = [];
    for (const spec of specs) {
      const queue = this.queueNamed(spec.queue ?? DEFAULT_QUEUE_NAME);
      if (queue === undefined) return this.tooManyQueues();
      named.push(queue);
    }
    const ids: number[] = new Array(specs.length);
    const touched = new Set<NamedQueue>();
    for (let i = 0; i < specs.length; i += 1) {
      const spec = specs[i] as JobSpec;
      const queue = named[i] as NamedQueue;
      const runAt = spec.runAt ?? (spec.delayMs ? now + spec.delayMs : undefined);
      const delayed = runAt !== undefined && runAt > now;
      const job = new JobRecord(++this.lastJobId, spec, queue, now, delayed ? "delayed" : "pending");
      job.watched = options.watch === true;
      job.payloadBytes = options.payloadBytes?.[i] ?? 0;
      this.memory.charge(JOB_RECORD_BYTES + job.payloadBytes);
      this.jobs.set(job.id, job);
      this.counts[job.state] += 1;
      queue.counts[job.state] += 1;
      if (delayed) {
        job.deadlineAt = runAt;
        this.deadlines.push(job);
      } else {
        job.order = ++this.lastOrder;
        queue.append(job);
        touched.add(queue);
      }
      ids[i] = job.id;
    }
    this.totals.submitted += specs.length;
    if (options.key !== undefined) this.keys.remember(options.key, ids, now);
    for (const queue of touched) this.dispatch(queue, now);
    return done(ids);
  }

  // {"type":"cancel","jobId":1}
  cancel(now: number, jobId: number): Result<JobState> {
    this.advance(now);
    const found = this.find(jobId);
    if (!found.ok) return found;
    const job = found.value;
    const was = job.state;
    switch (was) {
      case "pending":
        job.queue.remove(job);
        break;
      case "delayed":
        this.deadlines.remove(job);
        break;
      case "running": {
        const worker = job.worker as WorkerRecord;
        this.endAttempt(job, now, "cancelled", "cancelled by a client");
        this.effects.push({ type: "abandon", workerId: worker.id, jobId: job.id, lease: job.lease, reason: "cancelled" });
        this.note(now, "cancelled", job, "cancelled while running");
        break;
      }
      default:
        return refused(ErrorCode.invalidState, `job ${jobId} is ${was} and cannot be cancelled`);
    }
    this.settle(job, "cancelled", now, undefined, "cancelled by a client");
    this.totals.cancelled += 1;
    return done(was);
  }

  // {"type":"retry","jobId":1}   a failed or cancelled job starts over at the back of its queue
  retry(now: number, jobId: number): Result<void> {
    this.advance(now);
    const found = this.find(jobId);
    if (!found.ok) return found;
    const job = found.value;
    if (job.state !== "failed" && job.state !== "cancelled") {
      return refused(ErrorCode.invalidState, `job ${jobId} is ${job.state}; only failed or cancelled jobs can be retried`);
    }
    const full = this.refuseIfFull(1);
    if (full !== undefined) return full;
    this.retention.forget(job);
    job.attempts = 0;
    job.error = undefined;
    job.result = undefined;
    this.memory.release(job.resultBytes);
    job.resultBytes = 0;
    job.settledAt = 0;
    this.moveTo(job, "pending");
    job.order = ++this.lastOrder;
    job.deadlineAt = now;
    job.queue.append(job);
    this.totals.retried += 1;
    this.dispatch(job.queue, now);
    return done(undefined);
  }

  // {"type":"watch","jobIds":[1,2]}   settled ones are reported at once, the rest when they settle
  watch(now: number, jobIds: readonly number[]): Result<void> {
    this.advance(now);
    for (const id of jobIds) {
      const found = this.find(id);
      if (!found.ok) return found;
    }
    for (const id of jobIds) this.watchOne(id);
    return done(undefined);
  }

  pause(now: number, queueName: string): Result<void> {
    this.advance(now);
    const queue = this.queueNamed(queueName);
    if (queue === undefined) return this.tooManyQueues();
    queue.paused = true;
    return done(undefined);
  }

  resume(now: number, queueName: string): Result<void> {
    this.advance(now);
    const queue = this.queueNamed(queueName);
    if (queue === undefined) return this.tooManyQueues();
    queue.paused = false;
    this.dispatch(queue, now);
    return done(undefined);
  }

  // ---- workers -------------------------------------------------------------------------

  /**
   * A worker says hello. If the core still knows this worker id (it reconnected before being
   * declared lost), the leases it lists in `holding` stay its own and every other lease it had
   * is revoked: that job's assignment never reached it or was given up.
   */
  connectWorker(now: number, workerId: string, queueNames: readonly string[], holding: readonly HeldLease[] = []): Result<{ resumed: boolean }> {
    this.advance(now);
    const queues: NamedQueue[] = [];
    for (const name of queueNames) {
      const queue = this.queueNamed(name);
      if (queue === undefined) return this.tooManyQueues();
      queues.push(queue);
    }
    const existing = this.workers.get(workerId);
    if (existing === undefined) {
      const worker = new WorkerRecord(workerId, queues, now, this.config.heartbeatTimeoutMs);
      this.workers.set(workerId, worker);
      this.deadlines.push(worker);
      return done({ resumed: false });
    }
    this.leaveLines(existing);
    existing.fetches.length = 0;
    existing.queues = queues;
    existing.cursor = 0;
    existing.session += 1;
    existing.lastSeenAt = now;
    const held = new Set(holding.map((h) => `${h.jobId}:${h.lease}`));
    for (const job of [...existing.running]) {
      if (!held.has(`${job.id}:${job.lease}`)) {
        // The worker may yet receive this assignment (it crossed the hello in flight): tell it.
        this.effects.push({ type: "abandon", workerId, jobId: job.id, lease: job.lease, reason: "lease-revoked" });
        this.endAttempt(job, now, "worker-lost", "the worker reconnected without this lease");
        this.requeueOrDie(job, now, "the worker reconnected without this lease");
      }
    }
    return done({ resumed: true });
  }

  /**
   * Any message from a worker proves it alive. It counts even if the worker's silence ran out
   * before `now` but the check has not run yet: the message arrived while the queue itself was
   * busy, and a queue that stalls must not blame its workers (the shell touches every worker it
   * has heard from before it runs anything else).
   */
  touchWorker(now: number, workerId: string): void {
    const worker = this.workers.get(workerId);
    if (worker !== undefined) worker.lastSeenAt = now;
  }

  /** The worker's connection closed: it is gone, and its jobs go back at once. */
  disconnectWorker(now: number, workerId: string, reason: string): void {
    this.advance(now);
    const worker = this.workers.get(workerId);
    if (worker !== undefined) this.loseWorker(worker, now, reason);
  }

  // {"type":"fetch","max":1}   answered now or later by an `assign` effect
  fetch(now: number, workerId: string, requestId: unknown, max: number): Result<void> {
    this.advance(now);
    const worker = this.workers.get(workerId);
    if (worker === undefined) return refused(ErrorCode.helloRequired, `worker ${workerId} is not connected`);
    if (!(max >= 1)) throw new Error(`fetch max must be at least 1, got ${max}`);
    worker.lastSeenAt = now;
    worker.fetches.push({ requestId, max });
    if (worker.waiting) return done(undefined);
    while (worker.fetches.length > 0 && worker.queues.some((q) => q.canAssign)) this.serve(worker, now);
    if (worker.fetches.length > 0) this.joinLines(worker);
    return done(undefined);
  }

  // {"type":"withdraw"}   returns the request ids of the fetches dropped
  withdraw(now: number, workerId: string): unknown[] {
    this.advance(now);
    const worker = this.workers.get(workerId);
    if (worker === undefined) return [];
    this.leaveLines(worker);
    const dropped = worker.fetches.map((f) => f.requestId);
    worker.fetches.length = 0;
    return dropped;
  }

  // {"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
  complete(now: number, workerId: string, items: readonly { jobId: number; lease: number; result?: unknown; resultBytes?: number }[]): Refusal[] {
    this.advance(now);
    const refusals = this.eachHeld(workerId, items, (job, item) => {
      const resultBytes = item.resultBytes ?? 0;
      if (resultBytes > this.config.memory.maxResultBytes) {
        return refused(ErrorCode.resultTooLarge, `the result of job ${job.id} is ${resultBytes} bytes; the limit is ${this.config.memory.maxResultBytes}`);
      }
      this.endAttempt(job, now, "completed", undefined);
      job.resultBytes = resultBytes;
      this.memory.charge(resultBytes);
      this.settle(job, "completed", now, item.result, undefined);
      this.totals.completed += 1;
      this.countCompletion(now);
      return undefined;
    });
    // Results may take the budget past its limit: the oldest settled jobs make room at once.
    this.retention.evict(now, (job) => this.forgetJob(job));
    return refusals;
  }

  // {"type":"fail","jobs":[{"jobId":1,"lease":1,"error":"boom"}]}
  fail(now: number, workerId: string, items: readonly { jobId: number; lease: number; error: string; permanent?: boolean | undefined }[]): Refusal[] {
    this.advance(now);
    return this.eachHeld(workerId, items, (job, item) => {
      this.endAttempt(job, now, "failed", item.error);
      if (item.permanent || job.attempts >= job.maxAttempts) {
        this.die(job, now, item.error, item.permanent ? "failed permanently" : `failed on its last attempt (${job.attempts}/${job.maxAttempts})`);
        return;
      }
      const delayMs = retryDelayMs(this.config.retry, job.id, job.attempts);
      this.moveTo(job, "delayed");
      job.error = item.error;
      job.deadlineAt = now + delayMs;
      this.deadlines.push(job);
      this.note(now, "retry-scheduled", job, `attempt ${job.attempts} failed: ${item.error}; retry in ${delayMs} ms`);
      this.effects.push({ type: "requeued", jobId: job.id, workerId, reason: `failed: ${item.error}; retry in ${delayMs} ms`, attempt: job.attempts, to: "delayed" });
    });
  }

  // {"type":"release","jobs":[{"jobId":1,"lease":1}]}   back unrun; the attempt is not counted
  release(now: number, workerId: string, items: readonly { jobId: number; lease: number }[]): Refusal[] {
    this.advance(now);
    return this.eachHeld(workerId, items, (job) => {
      this.endAttempt(job, now, "released", undefined);
      job.attempts -= 1;
      this.putBack(job, now);
    });
  }

  // {"type":"extend","jobId":1,"lease":1}
  extend(now: number, workerId: string, jobId: number, lease: number): Result<void> {
    this.advance(now);
    const held = this.heldBy(workerId, jobId, lease);
    if (!held.ok) return held;
    this.restartRunTimeout(held.value, now);
    return done(undefined);
  }

  // {"type":"progress","jobId":1,"lease":1,"percent":40}   also extends the lease
  progress(now: number, workerId: string, jobId: number, lease: number, progress: Progress): Result<void> {
    this.advance(now);
    const held = this.heldBy(workerId, jobId, lease);
    if (!held.ok) return held;
    held.value.progress = progress;
    this.restartRunTimeout(held.value, now);
    return done(undefined);
  }

  // ---- look-ups (no state change) ------------------------------------------------------

  find(jobId: number): Result<JobRecord> {
    const job = this.jobs.get(jobId);
    if (job !== undefined) return done(job);
    if (Number.isInteger(jobId) && jobId >= 1 && jobId <= this.lastJobId) {
      return refused(ErrorCode.jobExpired, `job ${jobId} settled and has been dropped from retention`);
    }
    return refused(ErrorCode.unknownJob, `no job ${jobId} was ever submitted to this queue`);
  }

  queueList(): readonly NamedQueue[] {
    return [...this.queues.values()];
  }

  workerList(): readonly WorkerRecord[] {
    return [...this.workers.values()];
  }

  jobCount(): number {
    return this.jobs.size;
  }

  allJobs(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  delayedJobs(): JobRecord[] {
    return this.deadlines.values().filter((t): t is JobRecord => t instanceof JobRecord && t.state === "delayed");
  }

  settledNewestFirst(state: JobState): IterableIterator<JobRecord> {
    return this.retention.newest(state);
  }

  recentEvents(): readonly RecentEvent[] {
    return this.recent;
  }

  /** Completions in each of the 60 whole seconds up to `now`, oldest first. */
  completedPerSecond(now: number): number[] {
    this.rollBuckets(Math.floor(now / 1000));
    const second = this.completedBucketSecond;
    const out: number[] = [];
    for (let s = second - 59; s <= second; s += 1) out.push(this.completedBuckets[((s % 60) + 60) % 60] as number);
    return out;
  }

  retainedCount(): number {
    return this.retention.size;
  }

  idempotencyKeyCount(): number {
    return this.keys.size;
  }

  // ---- internals -----------------------------------------------------------------------

  private queueNamed(name: string): NamedQueue | undefined {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      if (this.queues.size >= this.config.maxQueues) return undefined;
      queue = new NamedQueue(name, { timeoutMs: this.config.defaultTimeoutMs, maxAttempts: this.config.defaultMaxAttempts });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** A retried job is unfinished again, like a new one: both count against the same limit. */
  private refuseIfFull(adding: number): Refused | undefined {
    const unfinished = this.counts.pending + this.counts.delayed + this.counts.running;
    if (unfinished + adding <= this.config.maxUnfinishedJobs) return undefined;
    return refused(ErrorCode.queueFull, `queue full: ${unfinished} unfinished jobs, limit ${this.config.maxUnfinishedJobs}; try again later`);
  }

  /** Room in the memory budget for new jobs, made by evicting the oldest settled jobs if need be. */
  private refuseIfNoRoom(adding: number, payloadBytes: readonly number[] | undefined): Refused | undefined {
    let bytes = adding * JOB_RECORD_BYTES;
    if (payloadBytes !== undefined) for (const b of payloadBytes) bytes += b;
    this.retention.evictWhile(() => !this.memory.hasRoomFor(bytes), (job) => this.forgetJob(job));
    if (this.memory.hasRoomFor(bytes)) return undefined;
    return refused(ErrorCode.queueFull, `queue full: the memory budget has no room for ${bytes} more bytes (${this.memory.describe()}); try again later`);
  }

  private tooManyQueues(): Refused {
    return refused(ErrorCode.queueFull, `the limit of ${this.config.maxQueues} named queues is reached`);
  }

  private watchOne(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    if (job.state === "completed" || job.state === "failed" || job.state === "cancelled") {
      this.effects.push({ type: "settled", jobId, state: job.state, result: job.result, error: job.error });
    } else {
      job.watched = true;
    }
  }

  /** Runs `act` for each reported job the worker holds under that lease; refuses the others, and what `act` refuses. */
  private eachHeld<T extends { jobId: number; lease: number }>(workerId: string, items: readonly T[], act: (job: JobRecord, item: T) => Refused | undefined | void): Refusal[] {
    const refusals: Refusal[] = [];
    for (const item of items) {
      const held = this.heldBy(workerId, item.jobId, item.lease);
      const outcome = held.ok ? act(held.value, item) : held;
      if (outcome) refusals.push({ jobId: item.jobId, code: outcome.code, message: outcome.message });
    }
    return refusals;
  }

  private heldBy(workerId: string, jobId: number, lease: number): Result<JobRecord> {
    const found = this.find(jobId);
    if (!found.ok) return found;
    const job = found.value;
    if (job.state !== "running" || job.lease !== lease || job.worker?.id !== workerId) {
      this.totals.staleRefused += 1;
      const why =
        job.lease !== lease
          ? `lease ${lease} is not the job's current lease (${job.lease})`
          : job.state !== "running"
            ? `the job is ${job.state}`
            : "the lease belongs to another worker";
      return refused(ErrorCode.staleLease, `stale lease for job ${jobId}: ${why}`);
    }
    return done(job);
  }

  /** Hands jobs to waiting workers, first come first served, while this queue has any. */
  private dispatch(queue: NamedQueue, now: number): void {
    for (let node = queue.headWaiter; node !== undefined && queue.canAssign; node = queue.headWaiter) {
      this.serve(node.worker, now);
    }
  }

  /** Answers the worker's oldest fetch with as many jobs as it asked for and are there. */
  private serve(worker: WorkerRecord, now: number): void {
    const fetch = worker.fetches.shift();
    if (fetch === undefined) return;
    const assignments: Assignment[] = [];
    let bytes = 0;
    while (assignments.length < fetch.max) {
      const job = this.takeFor(worker);
      if (job === undefined) break;
      bytes += assignmentBytes(job);
      // Cut by bytes as well as count: the batch must fit the frame the queue announced.
      if (bytes > this.config.maxAssignBytes && assignments.length > 0) {
        job.queue.putBack(job);
        break;
      }
      assignments.push(this.assign(job, worker, now));
    }
    if (assignments.length === 0) {
      worker.fetches.unshift(fetch);
      return;
    }
    this.leaveLines(worker);
    if (worker.fetches.length > 0) this.joinLines(worker);
    this.effects.push({ type: "assign", workerId: worker.id, requestId: fetch.requestId, jobs: assignments });
  }

  /** The next job for this worker, taking its queues in turn so none is starved. */
  private takeFor(worker: WorkerRecord): JobRecord | undefined {
    const queues = worker.queues;
    const n = queues.length;
    for (let i = 0; i < n; i += 1) {
      const index = (worker.cursor + i) % n;
      const queue = queues[index] as NamedQueue;
      if (!queue.canAssign) continue;
      worker.cursor = (index + 1) % n;
      return queue.take();
    }
    return undefined;
  }

  private assign(job: JobRecord, worker: WorkerRecord, now: number): Assignment {
    this.assignmentLatency.record(now - job.deadlineAt);
    this.moveTo(job, "running");
    job.attempts += 1;
    job.lease = ++this.lastLease;
    job.worker = worker;
    job.progress = undefined;
    worker.running.add(job);
    const attempt: AttemptRecord = {
      attempt: job.attempts,
      lease: job.lease,
      workerId: worker.id,
      startedAt: now,
      endedAt: undefined,
      outcome: "running",
      error: undefined,
    };
    // A first attempt gets an array of exactly one: `[]` and a push would reserve room for 17,
    // about 150 bytes that every job kept for retention would carry.
    if (job.history === undefined) job.history = [attempt];
    else job.history.push(attempt);
    job.deadlineAt = now + job.timeoutMs;
    this.deadlines.push(job);
    const spec = job.spec;
    return {
      jobId: job.id,
      lease: job.lease,
      attempt: job.attempts,
      queue: job.queue.name,
      type: job.type,
      durationMs: spec.durationMs ?? 0,
      payload: spec.payload,
      timeoutMs: job.timeoutMs,
      maxAttempts: job.maxAttempts,
    };
  }

  private joinLines(worker: WorkerRecord): void {
    if (worker.waiterNodes !== undefined) return;
    worker.waiterNodes = worker.queues.map((queue) => queue.addWaiter(worker));
  }

  private leaveLines(worker: WorkerRecord): void {
    const nodes = worker.waiterNodes;
    if (nodes === undefined) return;
    for (const node of nodes) node.queue.removeWaiter(node);
    worker.waiterNodes = undefined;
  }

  /** Ends the running attempt: the job leaves its worker and its lease timer. */
  private endAttempt(job: JobRecord, now: number, outcome: AttemptOutcome, error: string | undefined): void {
    const worker = job.worker;
    if (job.state !== "running" || worker === undefined) throw new Error(`job ${job.id} has no running attempt to end`);
    worker.running.delete(job);
    this.deadlines.remove(job);
    job.worker = undefined;
    const attempt = job.currentAttempt;
    if (attempt !== undefined) {
      attempt.endedAt = now;
      attempt.outcome = outcome;
      attempt.error = error;
    }
  }

  /** After a lost worker or a timeout: back at its original place, or dead if attempts are used up. */
  private requeueOrDie(job: JobRecord, now: number, reason: string): void {
    const workerId = job.currentAttempt?.workerId ?? "";
    if (job.attempts >= job.maxAttempts) {
      this.die(job, now, reason, `${reason}; no attempts left (${job.attempts}/${job.maxAttempts})`);
      return;
    }
    job.error = reason;
    this.totals.reassigned += 1;
    this.note(now, "reassigned", job, reason, workerId);
    // Reported before putBack, which may hand the job straight to a waiting worker: the
    // effects must read in the order things happened.
    this.effects.push({ type: "requeued", jobId: job.id, workerId, reason, attempt: job.attempts, to: "pending" });
    this.putBack(job, now);
  }

  private putBack(job: JobRecord, now: number): void {
    this.moveTo(job, "pending");
    job.deadlineAt = now;
    job.queue.putBack(job);
    this.dispatch(job.queue, now);
  }

  private die(job: JobRecord, now: number, error: string, why: string): void {
    this.settle(job, "failed", now, undefined, error);
    this.totals.failed += 1;
    this.note(now, "failed", job, `${why}: ${error}`);
    this.effects.push({ type: "dead", jobId: job.id, error, attempts: job.attempts });
  }

  private settle(job: JobRecord, state: "completed" | "failed" | "cancelled", now: number, result: unknown, error: string | undefined): void {
    this.moveTo(job, state);
    job.result = result;
    job.error = error;
    job.settledAt = now;
    job.progress = undefined;
    this.retention.keep(job);
    if (job.watched) {
      job.watched = false;
      this.effects.push({ type: "settled", jobId: job.id, state, result, error });
    }
  }

  private becomeDue(job: JobRecord, now: number): void {
    this.deadlines.remove(job);
    this.moveTo(job, "pending");
    job.order = ++this.lastOrder;
    job.queue.append(job);
    this.dispatch(job.queue, now);
  }

  private timeOut(job: JobRecord, now: number): void {
    const worker = job.worker as WorkerRecord;
    const reason = `timed out after ${job.timeoutMs} ms without completing`;
    this.effects.push({ type: "abandon", workerId: worker.id, jobId: job.id, lease: job.lease, reason: "timed-out" });
    this.endAttempt(job, now, "timed-out", reason);
    this.note(now, "timed-out", job, reason, worker.id);
    this.requeueOrDie(job, now, reason);
  }

  private restartRunTimeout(job: JobRecord, now: number): void {
    job.deadlineAt = now + job.timeoutMs;
    this.deadlines.update(job);
  }

  private checkSilence(worker: WorkerRecord, now: number): void {
    const silentUntil = worker.lastSeenAt + this.config.heartbeatTimeoutMs;
    if (silentUntil > now) {
      worker.deadlineAt = silentUntil;
      this.deadlines.update(worker);
      return;
    }
    this.effects.push({ type: "worker-expired", workerId: worker.id });
    this.loseWorker(worker, now, `no heartbeat for ${now - worker.lastSeenAt} ms`);
  }

  private loseWorker(worker: WorkerRecord, now: number, reason: string): void {
    this.workers.delete(worker.id);
    this.deadlines.remove(worker);
    this.leaveLines(worker);
    worker.fetches.length = 0;
    const jobs = [...worker.running].sort((a, b) => a.order - b.order);
    if (jobs.length > 0 || reason !== "") this.note(now, "worker-lost", undefined, reason, worker.id);
    for (const job of jobs) {
      this.endAttempt(job, now, "worker-lost", `worker ${worker.id} lost: ${reason}`);
      this.requeueOrDie(job, now, `worker ${worker.id} lost: ${reason}`);
    }
  }

  private forgetJob(job: JobRecord): void {
    this.memory.release(JOB_RECORD_BYTES + job.payloadBytes + job.resultBytes);
    this.jobs.delete(job.id);
    this.counts[job.state] -= 1;
    job.queue.counts[job.state] -= 1;
  }

  private moveTo(job: JobRecord, to: JobState): void {
    const from = job.state;
    if (!canMove(from, to)) throw new Error(`job ${job.id}: ${from} → ${to} is not an allowed move`);
    this.counts[from] -= 1;
    this.counts[to] += 1;
    job.queue.counts[from] -= 1;
    job.queue.counts[to] += 1;
    job.state = to;
  }

  private note(now: number, kind: RecentEvent["kind"], job: JobRecord | undefined, reason: string, workerId?: string): void {
    const event: RecentEvent = { at: now, kind, reason };
    if (job !== undefined) event.jobId = job.id;
    if (workerId !== undefined && workerId !== "") event.workerId = workerId;
    this.recent.push(event);
    if (this.recent.length > this.config.recentEvents) this.recent.shift();
  }

  private countCompletion(now: number): void {
    const second = Math.floor(now / 1000);
    this.rollBuckets(second);
    this.completedBuckets[second % 60] = (this.completedBuckets[second % 60] as number) + 1;
  }

  private rollBuckets(second: number): void {
    if (second <= this.completedBucketSecond) return;
    const gap = Math.min(60, second - this.completedBucketSecond);
    for (let i = 1; i <= gap; i += 1) this.completedBuckets[(this.completedBucketSecond + i) % 60] = 0;
    this.completedBucketSecond = second;
  }
}

function tiebreak(item: Timed): number {
  return item instanceof JobRecord ? item.id : 0;
}
