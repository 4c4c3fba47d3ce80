// Everything the core holds, in one place, and the few moves every event shares: counting a
// job's state change, noting a recent event, finding a job or a queue. The events themselves
// live in client-events.ts and worker-events.ts; what time does, in job-endings.ts.
import { ErrorCode, type JobState, type RecentEvent, type StateCounts, type Totals } from "@djq/protocol";
import { AssignmentLatency } from "./assignment-latency.js";
import { CompletionRate } from "./completion-rate.js";
import { defaultCoreConfig, type CoreConfig } from "./core-config.js";
import type { Effect } from "./effects.js";
import { IdTable } from "./id-table.js";
import { IdempotencyKeys } from "./idempotency.js";
import { IndexedHeap } from "./indexed-heap.js";
import { ChangeLog } from "./journal-changes.js";
import { JobRecord } from "./job-record.js";
import { JOB_RECORD_BYTES, MemoryBudget } from "./memory-budget.js";
import { canMove, emptyCounts } from "./job-states.js";
import { NamedQueue } from "./named-queue.js";
import { done, refused, type Refused, type Result } from "./result.js";
import { Retention } from "./retention.js";
import { Subscriptions } from "./subscriptions.js";
import { zeroTotals } from "./totals.js";
import { WorkerRecord } from "./worker-record.js";
import { WorkerRegistry } from "./worker-registry.js";

type Timed = JobRecord | WorkerRecord;

export class CoreState {
  readonly config: CoreConfig;
  readonly counts: StateCounts = emptyCounts();
  readonly totals: Totals = zeroTotals();
  readonly assignmentLatency = new AssignmentLatency();
  readonly completionRate = new CompletionRate();
  readonly jobs = new IdTable<JobRecord>();
  readonly queues = new Map<string, NamedQueue>();
  readonly workers = new WorkerRegistry();
  readonly subscriptions = new Subscriptions();
  /** Delayed jobs' start times, running jobs' run timeouts and workers' silence checks, soonest first. */
  readonly deadlines = new IndexedHeap<Timed>(
    (a, b) => a.deadlineAt < b.deadlineAt || (a.deadlineAt === b.deadlineAt && tiebreak(a) < tiebreak(b)),
  );
  readonly retention: Retention;
  readonly memory: MemoryBudget;
  readonly keys: IdempotencyKeys;
  readonly recent: RecentEvent[] = [];
  lastJobId = 0;
  lastOrder = 0;
  /** The last place handed out in the delayed, running and settled listings. */
  lastListOrder = 0;
  lastLease: number;
  effects: Effect[] = [];
  /** Set with `recordChanges`: what the journal is told after each event. */
  readonly changes: ChangeLog | undefined;

  constructor(config: Partial<CoreConfig> = {}) {
    this.config = { ...defaultCoreConfig, ...config };
    this.memory = new MemoryBudget(this.config.memory);
    this.retention = new Retention(this.config.retention, this.memory);
    this.keys = new IdempotencyKeys(this.config.idempotency);
    this.lastLease = this.config.firstLease - 1;
    this.changes = this.config.recordChanges ? new ChangeLog() : undefined;
  }

  find(jobId: number): Result<JobRecord> {
    const job = this.jobs.get(jobId);
    if (job !== undefined) return done(job);
    if (Number.isInteger(jobId) && jobId >= 1 && jobId <= this.lastJobId) {
      return refused(ErrorCode.jobExpired, `job ${jobId} settled and has been dropped from retention`);
    }
    return refused(ErrorCode.unknownJob, `no job ${jobId} was ever submitted to this queue`);
  }

  /** The queue of this name if it exists; `queueNamed` creates it. */
  existingQueue(name: string): NamedQueue | undefined {
    return this.queues.get(name);
  }

  /** Drops a queue that holds nothing and matters to no one, so its name stops counting against the limit. */
  forgetQueueIfUnused(queue: NamedQueue): void {
    if (queue.unused && this.queues.get(queue.name) === queue) this.queues.delete(queue.name);
  }

  queueNamed(name: string): NamedQueue | undefined {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      if (this.queues.size >= this.config.maxQueues) return undefined;
      queue = new NamedQueue(name, { timeoutMs: this.config.defaultTimeoutMs, maxAttempts: this.config.defaultMaxAttempts });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** A retried job is unfinished again, like a new one: both count against the same limit. */
  refuseIfFull(adding: number): Refused | undefined {
    const unfinished = this.counts.pending + this.counts.delayed + this.counts.running;
    if (unfinished + adding <= this.config.maxUnfinishedJobs) return undefined;
    return refused(ErrorCode.queueFull, `queue full: ${unfinished} unfinished jobs, limit ${this.config.maxUnfinishedJobs}; try again later`);
  }

  /** Room in the memory budget for new jobs, made by evicting the oldest settled jobs if need be. */
  refuseIfNoRoom(adding: number, payloadBytes: readonly number[] | undefined): Refused | undefined {
    let bytes = adding * JOB_RECORD_BYTES;
    if (payloadBytes !== undefined) for (const b of payloadBytes) bytes += b;
    this.retention.evictWhile(() => !this.memory.hasRoomFor(bytes), (job) => this.forgetJob(job));
    if (this.memory.hasRoomFor(bytes)) return undefined;
    return refused(ErrorCode.queueFull, `queue full: the memory budget has no room for ${bytes} more bytes (${this.memory.describe()}); try again later`);
  }

  /** A settled job leaves retention: its record and its data stop counting. */
  forgetJob(job: JobRecord): void {
    this.memory.release(JOB_RECORD_BYTES + job.payloadBytes + job.resultBytes);
    this.jobs.delete(job.id);
    this.counts[job.state] -= 1;
    job.queue.counts[job.state] -= 1;
    this.forgetQueueIfUnused(job.queue);
  }

  tooManyQueues(): Refused {
    return refused(ErrorCode.queueFull, `the limit of ${this.config.maxQueues} named queues in use is reached (a queue is forgotten once it holds no job, is not paused and no worker serves it)`);
  }

  moveTo(job: JobRecord, to: JobState): void {
    const from = job.state;
    if (!canMove(from, to)) throw new Error(`job ${job.id}: ${from} → ${to} is not an allowed move`);
    this.counts[from] -= 1;
    this.counts[to] += 1;
    job.queue.counts[from] -= 1;
    job.queue.counts[to] += 1;
    job.state = to;
    if (to !== "pending") job.listOrder = ++this.lastListOrder;
    this.changes?.moved(job, from, to);
  }

  note(now: number, kind: RecentEvent["kind"], job: JobRecord | undefined, reason: string, workerId?: string): void {
    const event: RecentEvent = { at: now, kind, reason };
    if (job !== undefined) event.jobId = job.id;
    if (workerId !== undefined && workerId !== "") event.workerId = workerId;
    this.recent.push(event);
    if (this.recent.length > this.config.recentEvents) this.recent.shift();
  }
}

function tiebreak(item: Timed): number {
  return item instanceof JobRecord ? item.id : 0;
}
