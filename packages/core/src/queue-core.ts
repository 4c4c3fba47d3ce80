// The job-state machine of the whole queue: one method per event. Every call takes the current
// time as `now` and first runs whatever fell due before it, so behaviour depends only on the
// sequence of calls: no clock, no timers, no I/O. Expected refusals are returned as values; a
// broken invariant throws. The work itself is in client-events.ts, worker-events.ts,
// job-endings.ts and dispatch.ts; the state in core-state.ts.
import type { HeldLease, JobSnapshot, JobSpec, JournalRecord, KeySnapshot, JobState, JobView, Progress, RecentEvent, Refusal, Totals } from "@djq/protocol";
import * as clients from "./client-events.js";
import { CoreState } from "./core-state.js";
import type { ConnectionId, Effect } from "./effects.js";
import { becomeDue, checkSilence, loseWorker, timeOut, workerLeaves } from "./job-endings.js";
import { JobRecord } from "./job-record.js";
import { jobSnapshot, keySnapshot } from "./journal-changes.js";
import { Restoration } from "./journal-restore.js";
import type { NamedQueue } from "./named-queue.js";
import type { Result } from "./result.js";
import { listJobs, statsView, type JobsPage, type ListQuery, type StatsView } from "./views.js";
import * as workers from "./worker-events.js";
import { WorkerRecord } from "./worker-record.js";

export type { SubmitOptions } from "./client-events.js";

/** What compaction writes: the counters at the cut, and the live jobs and keys, read lazily. */
export interface CoreSnapshot {
  lastJobId: number;
  lastLease: number;
  lastOrder: number;
  lastListOrder: number;
  pausedQueues: string[];
  totals: Totals;
  records: Iterable<JobSnapshot | KeySnapshot>;
}

export class QueueCore extends CoreState {
  private restoration: Restoration | undefined = new Restoration(this);

  // ---- the journal: changes out, records in at start-up ----------------------------------

  /** The state changes since the last call, as journal records (none without `recordChanges`). */
  takeChanges(): JournalRecord[] {
    return this.changes === undefined ? [] : this.changes.take(this.totals);
  }

  /** Gathers one recorded change during recovery, before the first event: no effects, no
   * decisions. A record that changes a job or attempt the records before it do not hold is
   * damage: it is applied not at all and the reason comes back. */
  restore(record: JournalRecord): string | undefined {
    if (this.restoration === undefined) throw new Error("restore after the core started serving");
    return this.restoration.add(record);
  }

  /** After the last record: builds the state. Running jobs keep their leases until at least
   * `now + graceMs`, and their workers have that long to say hello again with `holding`. */
  finishRestore(now: number, graceMs: number): void {
    const restoration = this.restoration;
    if (restoration === undefined) throw new Error("finishRestore called twice");
    this.restoration = undefined;
    restoration.finish(this, now, graceMs);
  }

  snapshot(): CoreSnapshot {
    const jobs = [...this.jobs.values()];
    const keys = [...this.keys.entries()];
    return {
      lastJobId: this.lastJobId,
      lastLease: this.lastLease,
      lastOrder: this.lastOrder,
      lastListOrder: this.lastListOrder,
      pausedQueues: [...this.queues.values()].filter((q) => q.paused).map((q) => q.name),
      totals: { ...this.totals },
      records: (function* () {
        for (const job of jobs) yield jobSnapshot(job);
        for (const [key, entry] of keys) yield keySnapshot(key, entry.jobIds, entry.bodyDigest, entry.at);
      })(),
    };
  }

  /** The effects produced since the last call, in the order they must be performed. */
  takeEffects(): Effect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  /** When `advance` next has work to do; the shell arms its one timer for this instant. */
  nextWakeAt(): number | undefined {
    return sooner(sooner(this.deadlines.peek()?.deadlineAt, this.retention.nextExpiryAt()), this.keys.nextExpiryAt());
  }

  /** Runs everything due at or before `now`: delayed jobs, lease expiries, silent workers, retention. */
  advance(now: number): void {
    for (let next = this.deadlines.peek(); next !== undefined && next.deadlineAt <= now; next = this.deadlines.peek()) {
      if (next instanceof WorkerRecord) checkSilence(this, next, now);
      else if (next.state === "delayed") becomeDue(this, next, now);
      else timeOut(this, next, now);
    }
    this.retention.evict(now, (job) => this.forgetJob(job));
    this.keys.evict(now);
  }

  // ---- clients -------------------------------------------------------------------------

  submit(now: number, specs: readonly JobSpec[], options: clients.SubmitOptions = {}): Result<number[]> {
    this.advance(now);
    return clients.submit(this, now, specs, options);
  }

  cancel(now: number, jobId: number): Result<JobState> {
    this.advance(now);
    return clients.cancel(this, now, jobId);
  }

  retry(now: number, jobId: number): Result<void> {
    this.advance(now);
    return clients.retry(this, now, jobId);
  }

  watch(now: number, jobIds: readonly number[], connectionId: ConnectionId): Result<void> {
    this.advance(now);
    return clients.watch(this, jobIds, connectionId);
  }

  /** Refused with unknown-queue when no queue of that name exists, unless `create`. */
  pause(now: number, queueName: string, create = false): Result<void> {
    this.advance(now);
    return clients.pause(this, now, queueName, create);
  }

  resume(now: number, queueName: string, create = false): Result<void> {
    this.advance(now);
    return clients.resume(this, now, queueName, create);
  }

  // ---- connections and workers ---------------------------------------------------------

  /** `livenessToken`: what a liveness connection must name to keep this session alive (see bindLiveness). */
  connectWorker(
    now: number,
    workerId: string,
    queueNames: readonly string[],
    holding: readonly HeldLease[] = [],
    connectionId?: ConnectionId,
    livenessToken?: string,
  ): Result<{ resumed: boolean }> {
    this.advance(now);
    return workers.connectWorker(this, now, workerId, queueNames, holding, connectionId, livenessToken);
  }

  /** A liveness connection said hello for a worker's session; its beats keep that session alive from now on. */
  bindLiveness(now: number, workerId: string | undefined, connectionId: ConnectionId, tokenMatches: (token: string) => boolean): Result<void> {
    this.advance(now);
    return workers.bindLiveness(this, now, workerId, connectionId, tokenMatches);
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

  /** As touchWorker, for the worker whose session this connection is: the one it said hello on, or its liveness connection. */
  heardOn(now: number, connectionId: ConnectionId): void {
    const worker = this.workers.on(connectionId) ?? this.workers.keptAliveBy(connectionId);
    if (worker !== undefined) worker.lastSeenAt = now;
  }

  /**
   * The shell is not reading this worker's connection (its journal's disk is behind), so the
   * worker's silence there is the queue's own doing: it counts as heard, unless a liveness
   * connection speaks for the worker, whose beats the shell still reads and whose silence is real.
   */
  vouchFor(now: number, connectionId: ConnectionId): void {
    const worker = this.workers.on(connectionId);
    if (worker !== undefined && worker.livenessConnectionId === undefined) worker.lastSeenAt = now;
  }

  /** The worker is gone, and its jobs go back at once. */
  disconnectWorker(now: number, workerId: string, reason: string): void {
    this.advance(now);
    const worker = this.workers.get(workerId);
    if (worker !== undefined) loseWorker(this, worker, now, reason);
  }

  /**
   * A connection closed: its subscriptions go, and so does the worker on it, if any (returned):
   * it left if it had said goodbye (withdrew, holds no job), else it is lost and its jobs go back.
   * A liveness connection that closes only stops vouching: the worker lives on its own beats.
   */
  closeConnection(now: number, connectionId: ConnectionId): { workerId: string; left: boolean } | undefined {
    this.advance(now);
    this.subscriptions.dropConnection(connectionId);
    const keptAlive = this.workers.keptAliveBy(connectionId);
    if (keptAlive !== undefined) this.workers.unbindLiveness(keptAlive);
    const worker = this.workers.on(connectionId);
    if (worker === undefined) return undefined;
    const left = worker.saidGoodbye && worker.running.size === 0;
    if (left) workerLeaves(this, worker);
    else loseWorker(this, worker, now, "connection closed");
    return { workerId: worker.id, left };
  }

  fetch(now: number, workerId: string, requestId: unknown, max: number, skipTypes: readonly string[] = []): Result<void> {
    this.advance(now);
    return workers.fetch(this, now, workerId, requestId, max, skipTypes);
  }

  withdraw(now: number, workerId: string): void {
    this.advance(now);
    workers.withdraw(this, workerId);
  }

  /** `resultBytes[i]`: the encoded size of item i's result (the shell measures them; none: no results). */
  complete(now: number, workerId: string, items: readonly { jobId: number; lease: number; result?: unknown }[], resultBytes?: readonly number[]): Refusal[] {
    this.advance(now);
    return workers.complete(this, now, workerId, items, resultBytes);
  }

  fail(now: number, workerId: string, items: readonly { jobId: number; lease: number; error: string; permanent?: boolean | undefined }[]): Refusal[] {
    this.advance(now);
    return workers.fail(this, now, workerId, items);
  }

  release(now: number, workerId: string, items: readonly { jobId: number; lease: number }[]): Refusal[] {
    this.advance(now);
    return workers.release(this, now, workerId, items);
  }

  extend(now: number, workerId: string, jobId: number, lease: number): Result<void> {
    this.advance(now);
    return workers.extend(this, now, workerId, jobId, lease);
  }

  progress(now: number, workerId: string, jobId: number, lease: number, progress: Progress): Result<void> {
    this.advance(now);
    return workers.extend(this, now, workerId, jobId, lease, progress);
  }

  // ---- look-ups: they run what fell due by `now`, and change nothing else ----------------

  lookUp(now: number, jobId: number): Result<JobRecord> {
    this.advance(now);
    return this.find(jobId);
  }

  /** A page of jobs in a state, as `list` returns it. */
  list(now: number, query: ListQuery, fits?: (view: JobView) => boolean): Result<JobsPage> {
    this.advance(now);
    return listJobs(this, query, fits);
  }

  /** What a `stats` reply carries. */
  stats(now: number): StatsView {
    this.advance(now);
    return statsView(this, now);
  }

  /** The worker that said hello on this connection, if one did and is still known. */
  workerOn(connectionId: ConnectionId): string | undefined {
    return this.workers.on(connectionId)?.id;
  }

  /** A fetch from this connection's worker with this request id is still unanswered. */
  isFetchOpen(connectionId: ConnectionId, requestId: unknown): boolean {
    const fetches = this.workers.on(connectionId)?.fetches;
    return fetches !== undefined && fetches.some((open) => open.requestId === requestId);
  }

  /** This connection's worker has a fetch unanswered: an `assign` will come to it as soon as a job does. */
  awaitsAssign(connectionId: ConnectionId): boolean {
    const fetches = this.workers.on(connectionId)?.fetches;
    return fetches !== undefined && fetches.length > 0;
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

  settledInOrder(state: JobState): IterableIterator<JobRecord> {
    return this.retention.inSettleOrder(state);
  }

  settledNewestFirst(state: JobState): IterableIterator<JobRecord> {
    return this.retention.newest(state);
  }

  recentEvents(): readonly RecentEvent[] {
    return this.recent;
  }

  /** Completions in each of the 60 whole seconds up to `now`, oldest first. */
  completedPerSecond(now: number): number[] {
    return this.completionRate.perSecond(now);
  }

  retainedCount(): number {
    return this.retention.size;
  }

  idempotencyKeyCount(): number {
    return this.keys.size;
  }

  subscriptionCount(): number {
    return this.subscriptions.size;
  }
}

/** The earlier of two instants, either of which may be absent. */
function sooner(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || (b !== undefined && b < a) ? b : a;
}
