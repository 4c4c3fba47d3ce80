// The only caller of the core, and the loop a newcomer reads first: take one event (a request, a
// closed connection, the timer), call the core with the clock's time, perform the effects it
// returns, and re-arm the one timer from its next wake-up. What each request does is in
// handlers.ts; hello and auth in hello.ts; the core keeps every fact (workers, watchers, fetches).
import { randomUUID } from "node:crypto";
import { ErrorCode, type Request, type RequestId, type SettledJob } from "@djq/protocol";
import { QueueCore, checkInvariants, type ConnectionId, type Effect, type Result } from "@djq/core";
import type { Logger } from "@djq/runtime";
import type { Clock, Timer } from "./clock.js";
import type { Connection } from "./connection.js";
import { handlers, type Handler, type Peer } from "./handlers.js";
import type { QueueConfig } from "./queue-config.js";
import { QueueJournal } from "./queue-journal.js";
import { sendSettled } from "./settled-frames.js";

/** A worker's requests whose replies it does not wait on to go on (it fetches while its reports
 * are out, and an assign waits for no record): their records may wait a moment for company. */
const unawaitedReports: ReadonlySet<Request["type"]> = new Set(["complete", "fail", "release", "fetch", "progress"]);

/** Requests that may change a job or a queue: refused once the journal cannot record the change. */
const changesState: ReadonlySet<Request["type"]> = new Set(["submit", "cancel", "retry", "pause", "resume", "fetch", "complete", "fail", "release"]);

export class Broker {
  readonly core: QueueCore;
  /** What `welcome` says: a new one each start without the journal, the journal's own with it. */
  queueRunId = randomUUID().slice(0, 8);
  /** Set with `--journal`: every turn's changes are recorded before its output leaves. */
  journal: QueueJournal | undefined;
  /** Open connections by id: where effects addressed to a connection are delivered. */
  readonly connections = new Map<ConnectionId, Connection>();
  stopping = false;
  private timer: Timer | undefined;
  private timerAt = Infinity;
  private drained: (() => void) | undefined;
  private workersNamed = 0;

  constructor(
    readonly config: QueueConfig,
    readonly clock: Clock,
    readonly log: Logger,
  ) {
    this.core = new QueueCore({ ...config.core, recordChanges: config.journal !== undefined });
  }

  /** Before serving: restores the core from the journal and takes on its identity. */
  async openJournal(): Promise<void> {
    if (this.config.journal === undefined) return;
    this.journal = await QueueJournal.open(this.config.journal, this.core, () => this.clock.now(), this.log);
    this.queueRunId = this.journal.queueId;
    this.performEffects();
  }

  opened(connection: Connection): void {
    this.connections.set(connection.id, connection);
  }

  /** Bytes arrived: proof of life, recorded before any frame from any connection is handled. */
  heard(connection: Connection): void {
    // A liveness connection's beats keep its worker's session alive while the worker's main loop is busy.
    if (connection.role === "worker" || connection.role === "liveness") this.core.heardOn(this.clock.now(), connection.id);
  }

  request(peer: Peer, request: Request): void {
    this.vouchForUnread();
    // A reply to a second request with the id of a fetch still open could not be told apart.
    if (peer.role === "worker" && this.core.isFetchOpen(peer.id, request.id)) {
      peer.refuse(request.id, ErrorCode.duplicateRequestId, `request id ${JSON.stringify(request.id)} is still in flight`);
      return;
    }
    const unrecordable = this.journal?.unavailable;
    if (unrecordable !== undefined && changesState.has(request.type)) {
      peer.refuse(request.id, ErrorCode.journalUnavailable, `${unrecordable}; the queue takes no new work until it is restarted`);
      return;
    }
    const handle = handlers[request.type] as Handler<Request["type"]>;
    try {
      handle(this, peer, request as never);
    } catch (error) {
      // A bug must not take the queue down with every other connection: report it and go on.
      this.log.error("request.crashed", { conn: peer.id, type: request.type, error: (error as Error).stack });
      peer.refuse(request.id, ErrorCode.internal, `the queue failed handling "${request.type}"; nothing was changed`);
    }
    this.performEffects(peer.role !== "worker" || !unawaitedReports.has(request.type));
  }

  expectsMore(connection: Connection): boolean {
    return connection.role === "worker" && this.core.awaitsAssign(connection.id);
  }

  closed(connection: Connection): void {
    this.connections.delete(connection.id);
    this.vouchForUnread();
    const worker = this.core.closeConnection(this.clock.now(), connection.id);
    if (worker?.left === true) this.log.info("worker.left", { worker: worker.workerId, conn: connection.id });
    else if (worker !== undefined) this.log.info("worker.disconnected", { worker: worker.workerId, conn: connection.id });
    else if (connection.role === "client") this.log.info("client.disconnected", { conn: connection.id });
    this.performEffects();
  }

  /** Runs what fell due by the clock's time: the timer's work, callable by tests with a manual clock. */
  tick(): void {
    this.vouchForUnread();
    this.core.advance(this.clock.now());
    this.performEffects();
  }

  /**
   * Workers whose connections the queue stopped reading while its journal is behind cannot be
   * heard: before anything runs the silence check, their silence is put down to the queue. A worker
   * with a liveness connection is still heard there (see JournalBacklog), so it gets no such pass.
   */
  private vouchForUnread(): void {
    const waiting = this.journal?.backlog.waitingConnections;
    if (waiting === undefined || waiting.size === 0) return;
    const now = this.clock.now();
    for (const connection of waiting) if (connection.role === "worker") this.core.vouchFor(now, connection.id);
  }

  /** An id for a worker that said hello without one: unique in this queue run. */
  nameWorker(connectionId: ConnectionId): string {
    return `worker-${++this.workersNamed}-conn${connectionId}`;
  }

  /** Replies with the refusal, or runs `onOk` with the value. */
  answer<T>(peer: Peer, id: RequestId, result: Result<T>, onOk: (value: T) => void): void {
    if (result.ok) onOk(result.value);
    else peer.refuse(id, result.code, result.message);
  }

  /** The start of a shutdown: no new jobs in, none handed out, workers told to finish up. */
  stopTakingWork(graceMs: number): void {
    this.stopping = true;
    const now = this.clock.now();
    for (const worker of this.core.workerList()) {
      this.core.withdraw(now, worker.id);
      if (worker.connectionId !== undefined) this.connections.get(worker.connectionId)?.send({ type: "shutdown", graceMs });
    }
    this.performEffects();
  }

  /** Resolves once no job is running (at once if none is): the end of a shutdown's grace. */
  whenDrained(): Promise<void> {
    if (this.core.counts.running === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  stopTimer(): void {
    this.timer?.cancel();
    this.timerAt = -Infinity;
  }

  /** Performs the core's effects in order and re-arms the timer; runs after every event.
   * `awaited`: whether someone waits on the event's replies (a request's sender, mostly); the
   * clock's events and closed connections answer no one. */
  performEffects(awaited = false): void {
    this.journal?.record(awaited);
    const effects = this.core.takeEffects();
    let settled: Map<ConnectionId, SettledJob[]> | undefined;
    for (const effect of effects) {
      if (effect.type !== "settled") this.perform(effect);
      else {
        const job: SettledJob = { jobId: effect.jobId, state: effect.state, result: effect.result, error: effect.error };
        settled ??= new Map();
        const batch = settled.get(effect.connectionId);
        if (batch === undefined) settled.set(effect.connectionId, [job]);
        else batch.push(job);
      }
    }
    // {"type":"settled","jobs":[{"jobId":1,"state":"completed","result":"ok"}]}, one per watcher per event
    if (settled !== undefined) {
      for (const [connectionId, jobs] of settled) {
        const connection = this.connections.get(connectionId);
        if (connection !== undefined) sendSettled(connection, jobs, this.config.maxFrameBytes, this.config.core.memory.maxResultBytes);
      }
    }
    this.armTimer();
    if (this.drained !== undefined && this.core.counts.running === 0) {
      this.drained();
      this.drained = undefined;
    }
    if (this.config.checkInvariants) this.checkInvariants();
  }

  private perform(effect: Exclude<Effect, { type: "settled" }>): void {
    const connection = "connectionId" in effect && effect.connectionId !== undefined ? this.connections.get(effect.connectionId) : undefined;
    switch (effect.type) {
      case "assign": {
        // An assign waits for no batch, not even a reply held before it: a lease not yet recorded
        // is never handed out again after a restart (the next run's leases start above it), so a
        // crash before the record only means the job, still pending in the journal, runs again.
        connection?.send({ id: effect.requestId as RequestId, type: "assign", jobs: effect.jobs }, "ahead");
        if (this.log.enabled("debug")) {
          for (const job of effect.jobs) {
            this.log.debug("job.assigned", { job: job.jobId, worker: effect.workerId, attempt: job.attempt, lease: job.lease });
          }
        }
        return;
      }
      case "abandon": {
        // Also on the liveness connection: a worker whose main loop is stuck cannot read the other.
        const abandon = { type: "abandon", jobId: effect.jobId, lease: effect.lease, reason: effect.reason } as const;
        // It acknowledges nothing: sent before its turn's records are durable, the worst a crash
        // can do is leave the job running under its lease after recovery, and run it again.
        connection?.send(abandon, "in-order");
        if (effect.livenessConnectionId !== undefined) this.connections.get(effect.livenessConnectionId)?.send(abandon, "in-order");
        this.log.info("job.abandon-sent", { job: effect.jobId, worker: effect.workerId, lease: effect.lease, reason: effect.reason });
        return;
      }
      case "progress":
        // {"type":"progress","jobId":1,"percent":40,"message":"resizing"}: one job, its message at most
        // 200 characters, so it fits any frame the report it passes on fitted in. Progress is not
        // recorded, so it waits for no journal write.
        connection?.send({ type: "progress", jobId: effect.jobId, ...effect.progress }, "in-order");
        return;
      case "liveness-ended":
        // Beats must not outlive the session they vouch for.
        connection?.end();
        return;
      case "worker-lost":
        this.log.warn("worker.lost", { worker: effect.workerId, reason: "missed heartbeats" });
        connection?.drop();
        return;
      case "worker-replaced":
        connection?.refuse(undefined, ErrorCode.replaced, `worker ${effect.workerId} connected again on another connection`);
        return;
      case "requeued":
        this.log.warn("job.requeued", { job: effect.jobId, worker: effect.workerId, attempt: effect.attempt, to: effect.to, reason: effect.reason });
        return;
      case "failed":
        this.log.warn("job.failed", { job: effect.jobId, attempts: effect.attempts, error: effect.error });
        return;
    }
  }

  private armTimer(): void {
    const at = this.core.nextWakeAt();
    if (at === undefined || at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.after(at - this.clock.now(), () => {
      this.timerAt = Infinity;
      // Timers run before the poll phase: let pending input be heard first (see turns.ts).
      setImmediate(() => this.tick());
    });
  }

  private checkInvariants(): void {
    try {
      checkInvariants(this.core);
    } catch (error) {
      this.log.error("invariant.broken", { error: (error as Error).message });
      process.exit(70);
    }
  }
}
