// The only caller of the core. It takes one event (a request, a closed connection, the timer),
// calls the core with the clock's time, performs the effects the core returns, and re-arms the
// one timer from the core's next wake-up. Each request type has one short handler below.
import { randomBytes, randomUUID } from "node:crypto";
import { ErrorCode, PROTOCOL_VERSION, type Hello, type JobState, type Progress, type JobView, type Request, type RequestId, type SettledJob } from "@djq/protocol";
import { IdTable, QueueCore, assignmentLatencyBoundsMs, checkInvariants, jobView, listJobs, statsView, type Effect, type Result, type StatsView } from "@djq/core";
import type { Logger } from "@djq/runtime";
import type { Clock } from "./clock.js";
import type { Connection, ConnectionHandler } from "./connection.js";
import { secretMatches } from "./secret.js";
import type { QueueConfig } from "./queue-config.js";

type Handler<T extends Request["type"]> = (broker: Broker, connection: Connection, request: Extract<Request, { type: T }>) => void;
type HandlerTable = { [T in Exclude<Request["type"], "hello">]: Handler<T> };
export type Snapshot = StatsView & { at: number; queueRunId: string };

export class Broker implements ConnectionHandler {
  readonly core: QueueCore;
  readonly queueRunId = randomUUID().slice(0, 8);
  private readonly workers = new Map<string, Connection>();
  /** By job id: one watcher is the common case, so an array only when there are several. */
  private readonly watchers = new IdTable<Connection | Connection[]>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private lastWorkerNumber = 0;
  private readonly inboxes = new Set<Connection>();
  private readonly settledBatches = new Map<Connection, SettledJob[]>();
  private turnScheduled = false;
  stopping = false;

  constructor(
    readonly config: QueueConfig,
    readonly clock: Clock,
    readonly log: Logger,
  ) {
    this.core = new QueueCore(config.core);
  }

  heard(connection: Connection): void {
    if (connection.workerId !== undefined) this.core.touchWorker(this.clock.now(), connection.workerId);
  }

  /**
   * Frames are handled after every socket readable in this turn of the event loop has been
   * heard (setImmediate runs after the poll phase). After the queue stalls, a heartbeat that
   * waited in one socket then still counts before a request from another socket runs the
   * silence check.
   */
  hasInbox(connection: Connection): void {
    this.inboxes.add(connection);
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      for (const waiting of this.inboxes) {
        this.inboxes.delete(waiting);
        waiting.handleInbox();
      }
    });
  }

  // {"id":1,"type":"hello","role":"worker","version":1,"workerId":"w1","queues":["default"]}
  hello(connection: Connection, request: Extract<Request, { type: "hello" }>): void {
    if (request.version !== PROTOCOL_VERSION) {
      connection.refuse(request.id, ErrorCode.versionMismatch, `this queue speaks protocol version ${PROTOCOL_VERSION}, not ${request.version}`);
      return;
    }
    const secret = request.role === "client" ? this.config.clientSecret : this.config.workerSecret;
    if (secret !== undefined && !secretMatches(request.secret, secret)) {
      connection.refuse(request.id, ErrorCode.authFailed, `wrong or missing secret for role ${request.role}`);
      return;
    }
    if (request.role === "liveness") {
      this.bindLiveness(connection, request);
      return;
    }
    connection.role = request.role;
    if (request.role === "worker") {
      const workerId = request.workerId ?? `worker-${++this.lastWorkerNumber}-conn${connection.id}`;
      const now = this.clock.now();
      const connected = this.core.connectWorker(now, workerId, request.queues ?? ["default"], request.holding ?? []);
      if (!connected.ok) {
        connection.refuse(request.id, connected.code, connected.message);
        return;
      }
      connection.workerId = workerId;
      connection.livenessToken = randomBytes(16).toString("hex");
      const previous = this.workers.get(workerId);
      this.workers.set(workerId, connection);
      if (previous !== undefined && previous !== connection) {
        previous.refuse(undefined, ErrorCode.replaced, `worker ${workerId} connected again on another connection`);
      }
      this.log.info("worker.connected", {
        worker: workerId,
        conn: connection.id,
        remote: connection.remote,
        queues: (request.queues ?? ["default"]).join(","),
        resumed: connected.value.resumed,
        holding: request.holding?.length ?? 0,
      });
    } else {
      this.log.info("client.connected", { conn: connection.id, remote: connection.remote });
    }
    connection.send({
      id: request.id,
      type: "welcome",
      version: PROTOCOL_VERSION,
      queueRunId: this.queueRunId,
      ...(request.role === "worker"
        ? { heartbeatIntervalMs: this.config.heartbeatIntervalMs, heartbeatTimeoutMs: this.config.core.heartbeatTimeoutMs }
        : { heartbeatIntervalMs: this.config.clientHeartbeatIntervalMs, heartbeatTimeoutMs: this.config.clientHeartbeatTimeoutMs }),
      maxFrameBytes: this.config.maxFrameBytes,
      ...(connection.livenessToken !== undefined ? { livenessToken: connection.livenessToken } : {}),
    });
    this.settle();
  }

  // {"id":1,"type":"hello","role":"liveness","version":1,"workerId":"w1","livenessToken":"9f2c…"}
  // A worker's second connection, from a thread its handlers cannot block: its beats keep the
  // session alive (`heard`) while the worker's main loop is busy. It carries nothing else.
  private bindLiveness(connection: Connection, request: Hello): void {
    const session = request.workerId === undefined ? undefined : this.workers.get(request.workerId);
    if (session?.livenessToken === undefined || !secretMatches(request.livenessToken, session.livenessToken)) {
      connection.refuse(request.id, ErrorCode.unknownSession, `no live session of worker ${request.workerId ?? "(none named)"} has this liveness token`);
      return;
    }
    session.liveness?.end();
    session.liveness = connection;
    connection.role = "liveness";
    connection.workerId = session.workerId;
    this.log.info("worker.liveness-bound", { worker: session.workerId, conn: connection.id });
    connection.send({
      id: request.id,
      type: "welcome",
      version: PROTOCOL_VERSION,
      queueRunId: this.queueRunId,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.config.core.heartbeatTimeoutMs,
      maxFrameBytes: this.config.maxFrameBytes,
    });
  }

  request(connection: Connection, request: Request): void {
    // Liveness was recorded when the bytes arrived (`heard`); handling adds nothing to it.
    const handle = handlers[request.type as keyof HandlerTable] as Handler<Request["type"]>;
    try {
      handle(this, connection, request as never);
    } catch (error) {
      // A bug must not take the queue down with every other connection: report it and go on.
      this.log.error("request.crashed", { conn: connection.id, type: request.type, error: (error as Error).stack });
      connection.refuse(request.id, ErrorCode.internal, `the queue failed handling "${request.type}"; nothing was changed`);
    }
    this.settle();
  }

  closed(connection: Connection): void {
    // A session's liveness connection ends with it: beats must not outlive what they vouch for.
    connection.liveness?.end();
    const workerId = connection.workerId;
    if (workerId !== undefined && this.workers.get(workerId) === connection) {
      this.workers.delete(workerId);
      this.log.info("worker.disconnected", { worker: workerId, conn: connection.id });
      this.core.disconnectWorker(this.clock.now(), workerId, "connection closed");
      this.settle();
    } else if (connection.role === "client") {
      this.log.info("client.disconnected", { conn: connection.id });
    }
  }

  /** Performs the core's effects and re-arms the timer; called after every event. */
  settle(): void {
    const effects = this.core.takeEffects();
    for (const effect of effects) this.perform(effect);
    this.sendSettled();
    this.armTimer();
    if (this.config.checkInvariants) this.checkInvariants();
  }

  reply<T>(connection: Connection, id: RequestId, result: Result<T>, onOk: (value: T) => void): void {
    if (result.ok) onOk(result.value);
    else connection.refuse(id, result.code, result.message);
  }

  watch(connection: Connection, jobIds: readonly number[]): void {
    for (const jobId of jobIds) {
      const existing = this.watchers.get(jobId);
      if (existing === undefined) this.watchers.set(jobId, connection);
      else if (Array.isArray(existing)) existing.push(connection);
      else if (existing !== connection) this.watchers.set(jobId, [existing, connection]);
    }
  }

  // {"type":"progress","jobId":1,"percent":40,"message":"resizing"} to each watcher, as it is reported
  pushProgress(jobId: number, progress: Progress): void {
    const watching = this.watchers.get(jobId);
    if (watching === undefined) return;
    const push = { type: "progress", jobId, ...progress } as const;
    if (Array.isArray(watching)) for (const connection of watching) connection.send(push);
    else watching.send(push);
  }

  /** The start of a shutdown: no new jobs in, none handed out, workers told to finish up. */
  stopTakingWork(graceMs: number): void {
    this.stopping = true;
    const now = this.clock.now();
    for (const connection of this.workers.values()) {
      this.core.withdraw(now, connection.workerId as string);
      connection.openFetches.clear();
      connection.send({ type: "shutdown", graceMs });
    }
    this.settle();
  }

  // ---- for the dashboard: the same core calls as the wire requests, effects settled ----

  /** What a `stats` reply carries, at the clock's time. */
  snapshot(): Snapshot {
    const now = this.clock.now();
    this.core.advance(now);
    this.settle();
    return { at: now, queueRunId: this.queueRunId, ...statsView(this.core, now) };
  }

  lookUp(jobId: number): Result<JobView> {
    this.core.advance(this.clock.now());
    const found = this.core.find(jobId);
    this.settle();
    return found.ok ? { ok: true, value: jobView(found.value) } : found;
  }

  cancel(jobId: number, by: string): Result<JobState> {
    const result = this.core.cancel(this.clock.now(), jobId);
    if (result.ok) this.log.info("job.cancelled", { job: jobId, was: result.value, by });
    this.settle();
    return result;
  }

  retry(jobId: number, by: string): Result<void> {
    const result = this.core.retry(this.clock.now(), jobId);
    if (result.ok) this.log.info("job.retried", { job: jobId, by });
    this.settle();
    return result;
  }

  /** Waits from ready to assigned so far, per bucket: a copy, so readers cannot change the core. */
  assignmentLatency(): { boundsMs: readonly number[]; counts: number[]; count: number; sumMs: number } {
    const latency = this.core.assignmentLatency;
    return { boundsMs: assignmentLatencyBoundsMs, counts: [...latency.counts], count: latency.count, sumMs: latency.sumMs };
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case "assign": {
        const connection = this.workers.get(effect.workerId);
        if (connection === undefined) throw new Error(`assigned to ${effect.workerId}, which has no connection`);
        connection.openFetches.delete(effect.requestId as RequestId);
        connection.send({ id: effect.requestId as RequestId, type: "assign", jobs: effect.jobs });
        if (this.log.enabled("info")) {
          for (const job of effect.jobs) {
            this.log.info("job.assigned", { job: job.jobId, worker: effect.workerId, attempt: job.attempt, lease: job.lease });
          }
        }
        return;
      }
      case "abandon": {
        // Also on the liveness connection: a worker whose main loop is stuck cannot read the other.
        const abandon = { type: "abandon", jobId: effect.jobId, lease: effect.lease, reason: effect.reason } as const;
        const connection = this.workers.get(effect.workerId);
        connection?.send(abandon);
        connection?.liveness?.send(abandon);
        this.log.info("job.abandon-sent", { job: effect.jobId, worker: effect.workerId, lease: effect.lease, reason: effect.reason });
        return;
      }
      case "settled": {
        const watching = this.watchers.get(effect.jobId);
        if (watching === undefined) return;
        this.watchers.delete(effect.jobId);
        const job: SettledJob = { jobId: effect.jobId, state: effect.state, result: effect.result, error: effect.error };
        if (Array.isArray(watching)) for (const connection of watching) this.toSettle(connection, job);
        else this.toSettle(watching, job);
        return;
      }
      case "worker-expired": {
        const connection = this.workers.get(effect.workerId);
        this.workers.delete(effect.workerId);
        this.log.warn("worker.lost", { worker: effect.workerId, reason: "missed heartbeats" });
        connection?.drop();
        return;
      }
      case "requeued":
        this.log.warn("job.requeued", { job: effect.jobId, worker: effect.workerId, attempt: effect.attempt, to: effect.to, reason: effect.reason });
        return;
      case "dead":
        this.log.warn("job.dead", { job: effect.jobId, attempts: effect.attempts, error: effect.error });
        return;
    }
  }

  private checkInvariants(): void {
    try {
      checkInvariants(this.core);
    } catch (error) {
      this.log.error("invariant.broken", { error: (error as Error).message });
      process.exit(70);
    }
  }

  private toSettle(connection: Connection, job: SettledJob): void {
    const batch = this.settledBatches.get(connection);
    if (batch === undefined) this.settledBatches.set(connection, [job]);
    else batch.push(job);
  }

  // {"type":"settled","jobs":[{"jobId":1,"state":"completed","result":"ok"}]}, one per watcher per event
  private sendSettled(): void {
    if (this.settledBatches.size === 0) return;
    for (const [connection, jobs] of this.settledBatches) connection.send({ type: "settled", jobs });
    this.settledBatches.clear();
  }

  private armTimer(): void {
    const at = this.core.nextWakeAt();
    if (at === undefined || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      // Timers run before the poll phase: let pending input be heard first (see hasInbox).
      setImmediate(() => this.tick());
    }, Math.max(0, at - this.clock.now()));
  }

  /** Runs what fell due by the clock's time: the timer's work, callable by tests with a manual clock. */
  tick(): void {
    this.core.advance(this.clock.now());
    this.settle();
  }

  stopTimer(): void {
    clearTimeout(this.timer);
    this.timerAt = -Infinity;
  }
}

const handlers: HandlerTable = {
  // {"id":3,"type":"heartbeat"}
  heartbeat(_broker, connection, request) {
    connection.send({ id: request.id, type: "heartbeat" });
  },

  // {"id":2,"type":"submit","jobs":[{"durationMs":500}],"watch":true}
  submit(broker, connection, request) {
    if (broker.stopping) {
      connection.refuse(request.id, ErrorCode.shuttingDown, "the queue is shutting down and takes no new jobs");
      return;
    }
    const oversized =
      connection.lastFrameChars * 3 > broker.config.maxPayloadBytes
        ? oversizedPayload(request.jobs, broker.config.maxPayloadBytes)
        : undefined;
    if (oversized !== undefined) {
      connection.refuse(request.id, ErrorCode.payloadTooLarge, `jobs.${oversized.index}.payload is ${oversized.bytes} bytes; the limit is ${broker.config.maxPayloadBytes}`);
      return;
    }
    const result = broker.core.submit(broker.clock.now(), request.jobs, { key: request.key, watch: request.watch });
    broker.reply(connection, request.id, result, (jobIds) => {
      if (request.watch) broker.watch(connection, jobIds);
      connection.send({ id: request.id, type: "submitted", jobIds });
      broker.log.info("jobs.submitted", { conn: connection.id, count: jobIds.length, first: jobIds[0], last: jobIds[jobIds.length - 1] });
    });
  },

  // {"id":3,"type":"status","jobId":1}
  status(broker, connection, request) {
    broker.core.advance(broker.clock.now());
    broker.reply(connection, request.id, broker.core.find(request.jobId), (job) =>
      connection.send({ id: request.id, type: "job", job: jobView(job) }),
    );
  },

  // {"id":4,"type":"watch","jobIds":[1,2]}
  watch(broker, connection, request) {
    const known = request.jobIds.filter((id) => broker.core.find(id).ok);
    broker.watch(connection, known);
    broker.reply(connection, request.id, broker.core.watch(broker.clock.now(), request.jobIds), () =>
      connection.send({ id: request.id, type: "ok" }),
    );
  },

  // {"id":5,"type":"cancel","jobId":1}
  cancel(broker, connection, request) {
    broker.reply(connection, request.id, broker.core.cancel(broker.clock.now(), request.jobId), (was) => {
      broker.log.info("job.cancelled", { job: request.jobId, was });
      connection.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":6,"type":"retry","jobId":1}
  retry(broker, connection, request) {
    broker.reply(connection, request.id, broker.core.retry(broker.clock.now(), request.jobId), () => {
      broker.log.info("job.retried", { job: request.jobId });
      connection.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":7,"type":"list","state":"failed","limit":50}
  list(broker, connection, request) {
    broker.core.advance(broker.clock.now());
    const page = listJobs(broker.core, request);
    connection.send({ id: request.id, type: "jobs", ...page });
  },

  // {"id":8,"type":"stats"}
  stats(broker, connection, request) {
    connection.send({ id: request.id, type: "stats", ...broker.snapshot() });
  },

  // {"id":9,"type":"pause","queue":"default"}
  pause(broker, connection, request) {
    broker.reply(connection, request.id, broker.core.pause(broker.clock.now(), request.queue), () => {
      broker.log.info("queue.paused", { queue: request.queue });
      connection.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":10,"type":"resume","queue":"default"}
  resume(broker, connection, request) {
    broker.reply(connection, request.id, broker.core.resume(broker.clock.now(), request.queue), () => {
      broker.log.info("queue.resumed", { queue: request.queue });
      connection.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":4,"type":"fetch","max":1}   answered by "assign" when jobs are there
  fetch(broker, connection, request) {
    if (broker.stopping) return; // held unanswered: a stopping queue hands out nothing
    connection.openFetches.add(request.id);
    const result = broker.core.fetch(broker.clock.now(), connection.workerId as string, request.id, request.max);
    if (!result.ok) {
      connection.openFetches.delete(request.id);
      connection.refuse(request.id, result.code, result.message);
    }
  },

  // {"id":5,"type":"withdraw"}
  withdraw(broker, connection, request) {
    broker.core.withdraw(broker.clock.now(), connection.workerId as string);
    connection.openFetches.clear();
    connection.send({ id: request.id, type: "ok" });
  },

  // {"id":6,"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
  complete(broker, connection, request) {
    const refused = broker.core.complete(broker.clock.now(), connection.workerId as string, request.jobs);
    connection.send({ id: request.id, type: "ack", refused });
    logReports(broker, connection, "job.completed", request.jobs, refused);
  },

  // {"id":7,"type":"fail","jobs":[{"jobId":1,"lease":1,"error":"boom"}]}
  fail(broker, connection, request) {
    const refused = broker.core.fail(broker.clock.now(), connection.workerId as string, request.jobs);
    connection.send({ id: request.id, type: "ack", refused });
    logReports(broker, connection, "job.attempt-failed", request.jobs, refused);
  },

  // {"id":10,"type":"release","jobs":[{"jobId":1,"lease":1}]}
  release(broker, connection, request) {
    const refused = broker.core.release(broker.clock.now(), connection.workerId as string, request.jobs);
    connection.send({ id: request.id, type: "ack", refused });
    logReports(broker, connection, "job.released", request.jobs, refused);
  },

  // {"id":8,"type":"extend","jobId":1,"lease":1}
  extend(broker, connection, request) {
    const result = broker.core.extend(broker.clock.now(), connection.workerId as string, request.jobId, request.lease);
    broker.reply(connection, request.id, result, () => connection.send({ id: request.id, type: "ok" }));
  },

  // {"id":9,"type":"progress","jobId":1,"lease":1,"percent":40,"message":"resizing"}
  progress(broker, connection, request) {
    const progress = request.message === undefined ? { percent: request.percent } : { percent: request.percent, message: request.message };
    const result = broker.core.progress(broker.clock.now(), connection.workerId as string, request.jobId, request.lease, progress);
    broker.reply(connection, request.id, result, () => {
      connection.send({ id: request.id, type: "ok" });
      broker.pushProgress(request.jobId, progress);
    });
  },
};

function logReports(
  broker: Broker,
  connection: Connection,
  event: string,
  items: readonly { jobId: number; lease: number; error?: string }[],
  refused: readonly { jobId: number; code: string; message: string }[],
): void {
  if (!broker.log.enabled("info") && refused.length === 0) return;
  const refusedIds = new Set(refused.map((r) => r.jobId));
  for (const item of items) {
    if (!refusedIds.has(item.jobId)) broker.log.info(event, { job: item.jobId, worker: connection.workerId, lease: item.lease, error: item.error });
  }
  for (const refusal of refused) {
    broker.log.warn("report.refused", { job: refusal.jobId, worker: connection.workerId, code: refusal.code, reason: refusal.message });
  }
}

/** Encodes payloads to measure them; the caller skips this when the whole frame is small enough. */
function oversizedPayload(jobs: readonly { payload?: unknown }[], maxBytes: number): { index: number; bytes: number } | undefined {
  for (let index = 0; index < jobs.length; index += 1) {
    const payload = jobs[index]?.payload;
    if (payload === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(payload) ?? "");
    if (bytes > maxBytes) return { index, bytes };
  }
  return undefined;
}
