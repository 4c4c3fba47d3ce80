// The worker: keeps one session with the queue alive across losses, fetches jobs within its
// concurrency, runs them and reports the outcomes. Running jobs never depend on the connection:
// they keep going through a reconnect and their reports wait for the next session.
import { DEFAULT_FRAME_BYTES, ErrorCode, MAX_FETCH, maxReportsPerMessage, MAX_HELD_LEASES, MAX_SKIP_TYPES, warmUpServerMessageParser, type Assignment, type HeldLease, type ServerMessage } from "@djq/protocol";
import { QueueError, reconnectDelayMs, type Logger } from "@djq/runtime";
import { Mutex } from "async-mutex";
import { ReportBatcher } from "./report-batcher.js";
import { RunningJobs } from "./running-jobs.js";
import { Session } from "./session.js";
import { WorkerEmitter, abandonedReason } from "./worker-events.js";
import { resolveWorkerOptions, type JobTypeSchemas, type ResolvedWorkerOptions, type WorkerOptions } from "./worker-options.js";

export interface StopOptions {
  /** How long running handlers get to finish before they are aborted and released. Default 30 s. */
  graceMs?: number;
}

const DEFAULT_GRACE_MS = 30_000;
/** How long to wait before fetching again after the queue refused a fetch. */
const FETCH_RETRY_MS = 1_000;
/** Fetches out at once; more would only split the window into ever smaller requests. */
const MAX_FETCHES_OUT = 2;
/** How long stop() waits for the queue to acknowledge the last release and reports. */
const FINAL_ACK_MS = 2_000;
/** Refusals of a hello that mean this worker is misconfigured, not that the queue is busy. */
const configErrorCodes: ReadonlySet<string> = new Set([ErrorCode.authFailed, ErrorCode.versionMismatch, ErrorCode.badMessage, ErrorCode.roleForbidden]);

export class Worker extends WorkerEmitter {
  readonly workerId: string;
  private readonly options: ResolvedWorkerOptions;
  protected readonly log: Logger;
  private readonly running: RunningJobs;
  // Two things that each span awaits take turns on this lock: setting up a session (connect,
  // hello, welcome) and stop()'s last words (release, last reports, close). Without it stop()
  // could close while a session is half set up, and that session would outlive the worker.
  // Sending reports needs no turn: see ReportBatcher.flush.
  private readonly lock = new Mutex();
  private readonly batcher: ReportBatcher;
  private session: Session | undefined;
  private queueRunId: string | undefined;
  /**
   * The credit window: jobs asked for in fetches not answered yet. Free slots are asked for
   * while earlier fetches are still out, so a worker never idles for a round trip between
   * batches; running + requested never passes the concurrency.
   */
  private requested = 0;
  private fetchesOut = 0;
  private fetchRetry: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private stopping = false;
  /** Set by a second stop() with no grace: the wait for running jobs ends now. */
  private graceOver = false;
  private closed = false;
  private started: Promise<void> | undefined;
  private firstSession: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();
  /** Job types the queue handed this worker without a handler here: every fetch asks it to skip them. */
  private readonly unhandledTypes = new Set<string>();
  /** Releases not yet acknowledged; stop() waits for them before closing. */
  private readonly releasing = new Set<Promise<void>>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(options: WorkerOptions<any>) {
    super();
    this.options = resolveWorkerOptions(options);
    this.workerId = this.options.workerId;
    this.log = this.options.logger;
    this.batcher = new ReportBatcher({
      session: () => this.session,
      logger: this.log,
      onFlushed: () => this.notify(),
      // Ask for the slots the reports' jobs freed now, so the fetch goes out in their write.
      onSent: () => this.pump(),
      onAcked: (report, refusal) => {
        if (refusal !== undefined) this.tell("refused", { jobId: report.item.jobId, lease: report.item.lease, report: report.kind, ...refusal });
        else if (report.kind === "complete") this.tell("completed", { jobId: report.item.jobId, lease: report.item.lease, result: report.item.result });
        else this.tell("failed", { jobId: report.item.jobId, lease: report.item.lease, error: report.item.error, permanent: report.item.permanent === true });
      },
    });
    this.running = new RunningJobs({
      workerId: this.workerId,
      handlers: this.options.handlers,
      jobTypes: this.options.jobTypes,
      logger: this.log,
      batcher: this.batcher,
      session: () => this.session,
      onChange: () => {
        this.schedulePump();
        this.notify();
      },
      onAbandoned: (jobId, lease, reason) => this.tell("abandoned", { jobId, lease, reason: abandonedReason(reason), detail: reason }),
    });
  }

  /** Jobs whose handlers are running for this worker now. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Connects and resolves once the first session is up; rejects if the queue refuses the hello. */
  start(): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      warmUpServerMessageParser();
      this.firstSession = { resolve, reject };
      this.loopDone = this.connectLoop();
    });
    return this.started;
  }

  /**
   * Takes no new jobs, lets running ones finish for up to graceMs, releases the rest, closes.
   * Called again while stopping with `graceMs: 0` (an operator's second Ctrl-C), it ends the grace
   * at once: running handlers are aborted and their jobs released without using up an attempt.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopped !== undefined && options.graceMs === 0) {
      this.graceOver = true;
      this.notify();
    }
    this.stopped ??= this.shutdown(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.stopped;
  }

  private async connectLoop(): Promise<void> {
    let failures = 0;
    let sessions = 0;
    while (!this.closed) {
      try {
        const session = await this.lock.runExclusive(() => (this.closed ? undefined : this.openSession()));
        if (session !== undefined) {
          failures = 0;
          this.firstSession?.resolve();
          this.firstSession = undefined;
          this.batcher.schedule();
          this.schedulePump();
          this.tell("connected", { queueRunId: session.welcome.queueRunId, reconnected: sessions++ > 0 });
          const reason = await session.lost;
          this.session = undefined;
          if (!this.closed) this.log.warn("disconnected", { reason, running: this.running.size, unreported: this.batcher.size });
          this.tell("disconnected", { reason });
        }
      } catch (error) {
        const reason = (error as Error).message;
        if (error instanceof QueueError && this.firstSession !== undefined && configErrorCodes.has(error.code)) {
          // Refused at the first hello for how it is configured: retrying cannot help.
          this.log.error("hello.refused", { code: error.code, reason });
          this.closed = true;
          this.firstSession.reject(error);
          this.firstSession = undefined;
          break;
        }
        this.log.warn(error instanceof QueueError ? "hello.refused" : "connect.failed", { reason });
      }
      if (this.closed) break;
      const delayMs = reconnectDelayMs(failures++, this.options.reconnect);
      this.log.info("reconnecting", { inMs: delayMs, attempt: failures });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wakeLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeLoop = undefined;
    }
  }

  /** Runs under the lock. */
  private async openSession(): Promise<Session> {
    const { host, port, tls } = this.options;
    const session = await Session.connect(
      { host, port, ...(tls !== undefined ? { tls } : {}) },
      {
        connectTimeoutMs: this.options.connectTimeoutMs,
        stuckLoopKillMs: this.options.stuckLoopKillMs,
        // Handlers that block the main loop may then get this worker declared lost, as before liveness threads.
        onLivenessUnavailable: (reason) => this.log.warn("liveness.unavailable", { reason }),
        onLoopTurned: (jobId, lease) => this.log.debug("liveness.loop-turned", { jobId, lease }),
        onPush: (s, message) => this.onPush(s, message),
      },
    );
    this.log.info("connected", { host, port });
    const holding = this.holding();
    this.log.info("hello", { workerId: this.workerId, queues: this.options.queues, holding: holding.length });
    const welcome = await session.greet(
      { workerId: this.workerId, queues: this.options.queues, secret: this.options.secret, holding },
      this.options.helloTimeoutMs,
    );
    if (this.queueRunId !== undefined && welcome.queueRunId !== this.queueRunId) {
      // Its memory is gone and the new run numbers jobs from 1 again: that work is nobody's now
      // (its lease would only be refused as stale). So stop it and drop its reports before
      // anything goes out on this session.
      this.log.warn("queue.restarted", { queueRunId: welcome.queueRunId, unreported: this.batcher.size, running: this.running.size });
      const dropped = this.batcher.clear();
      const abandoned = this.running.abandonAll(`the queue restarted (run ${this.queueRunId} is now ${welcome.queueRunId})`);
      if (dropped > 0 || abandoned > 0) this.log.info("queue.restarted.dropped", { reports: dropped, running: abandoned });
    }
    this.queueRunId = welcome.queueRunId;
    this.log.info("welcome", { queueRunId: welcome.queueRunId, heartbeatIntervalMs: welcome.heartbeatIntervalMs, heartbeatTimeoutMs: welcome.heartbeatTimeoutMs });
    this.session = session;
    return session;
  }

  /** Leases still being worked on or not yet reported: the queue must not give them to anyone else. */
  private holding(): HeldLease[] {
    return [...this.running.held(), ...this.batcher.held()].slice(0, MAX_HELD_LEASES);
  }

  private onPush(session: Session, message: ServerMessage): void {
    switch (message.type) {
      case "abandon": // {"type":"abandon","jobId":1,"lease":3,"reason":"timed-out"}
        this.running.abandon(message);
        return;
      case "shutdown": // {"type":"shutdown","graceMs":10000}
        session.draining = true;
        this.log.warn("queue.shutdown", { graceMs: message.graceMs, running: this.running.size });
        return;
      case "error": // {"type":"error","code":"replaced","message":"…"} with no request to answer
        this.log.warn("queue.error", { code: message.code, reason: message.message });
        return;
      default:
        this.log.debug("push.ignored", { type: message.type });
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // At the end of the tick, so slots freed by every job settling in it go into one fetch.
    setImmediate(() => {
      this.pumpScheduled = false;
      // Reports about to go out ask for the slots they free in their own write (onSent); a fetch
      // sent now would take a write, and wake the queue, of its own. Reports behind a batch
      // waiting for its ack could wait a round trip, so then the fetch goes now.
      if (this.batcher.sendingSoon) return;
      this.pump();
    });
  }

  // {"id":4,"type":"fetch","max":3}  →  {"id":4,"type":"assign","jobs":[…]} once a job is there
  private pump(): void {
    const session = this.session;
    if (session === undefined || session.closed || session.draining || this.stopping) return;
    if (this.fetchRetry !== undefined || this.fetchesOut >= MAX_FETCHES_OUT) return;
    const free = this.options.concurrency - this.running.size - this.requested;
    // While a fetch is out, top up only with a worthwhile share of the window, not slot by slot.
    if (free <= 0 || (this.fetchesOut > 0 && free < Math.ceil(this.options.concurrency / 4))) return;
    const max = Math.min(free, MAX_FETCH);
    this.requested += max;
    this.fetchesOut += 1;
    const answered = () => {
      this.requested -= max;
      this.fetchesOut -= 1;
    };
    const skipTypes = this.unhandledTypes.size > 0 ? { skipTypes: [...this.unhandledTypes] } : {};
    session.connection.request({ type: "fetch", max, ...skipTypes }).then(
      (assign) => {
        answered();
        this.accept(session, assign.jobs);
        // Not at once: a job that finishes in this tick asks for its slot with its `complete`.
        this.schedulePump();
      },
      (error: unknown) => {
        answered();
        if (!(error instanceof QueueError)) {
          this.pump(); // the session is gone; a new one, if up already, fetches now
          return;
        }
        this.log.warn("fetch.refused", { code: error.code, reason: error.message });
        if (error.code === ErrorCode.shuttingDown) session.draining = true;
        this.fetchRetry = setTimeout(() => {
          this.fetchRetry = undefined;
          this.pump();
        }, FETCH_RETRY_MS);
      },
    );
  }

  private accept(session: Session, jobs: Assignment[]): void {
    const refused: Assignment[] = [];
    const startedAt = Date.now();
    let newlyUnhandled = false;
    for (const assignment of jobs) {
      if (!this.options.handlers.has(assignment.type)) {
        // Not this worker's to fail: handed back unrun for a worker that has the handler.
        refused.push(assignment);
        newlyUnhandled = this.skipType(assignment) || newlyUnhandled;
      }
      // A fetch answered after stop() or the queue's shutdown, or a queue handing out more than asked.
      else if (this.stopping || session.draining || this.running.size >= this.options.concurrency) refused.push(assignment);
      else this.running.start(assignment, startedAt);
    }
    // A fetch naming the new type goes out before the release, so the job is not handed straight back.
    if (newlyUnhandled) this.pump();
    if (refused.length > 0) void this.release(session, refused);
  }

  /** Remembers a job's type as one to skip; true if it was not already skipped. */
  private skipType({ jobId, type }: Assignment): boolean {
    this.log.warn("job.unhandled", { jobId, type, reason: `no handler for job type "${type}": released for another worker` });
    if (this.unhandledTypes.has(type) || this.unhandledTypes.size >= MAX_SKIP_TYPES) return false;
    this.unhandledTypes.add(type);
    this.log.warn("type.skipped", { type, skipping: [...this.unhandledTypes] });
    return true;
  }

  // {"id":10,"type":"release","jobs":[{"jobId":1,"lease":1}]}: hands jobs back unrun, no attempt used up
  private release(session: Session, assignments: Assignment[]): Promise<void> {
    const releasing = this.sendRelease(session, assignments).finally(() => this.releasing.delete(releasing));
    this.releasing.add(releasing);
    return releasing;
  }

  private async sendRelease(session: Session, assignments: Assignment[]): Promise<void> {
    const jobs = assignments.map(({ jobId, lease }) => ({ jobId, lease }));
    this.log.info("release", { jobIds: jobs.map((job) => job.jobId) });
    try {
      const maxReports = maxReportsPerMessage(session.welcome.maxFrameBytes || DEFAULT_FRAME_BYTES);
      for (let start = 0; start < jobs.length; start += maxReports) {
        const ack = await session.connection.request({ type: "release", jobs: jobs.slice(start, start + maxReports) });
        for (const refusal of ack.refused) this.log.warn("release.refused", { jobId: refusal.jobId, code: refusal.code, reason: refusal.message });
      }
    } catch (error) {
      // A release lost with its connection is still a release: the queue revokes the lease anyway.
      this.log.debug("release.failed", { reason: (error as Error).message });
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.log.info("stopping", { running: this.running.size, unreported: this.batcher.size, graceMs });
    this.firstSession?.reject(new Error("the worker was stopped before it reached the queue"));
    this.firstSession = undefined;
    // {"id":5,"type":"withdraw"}: the queue drops our unanswered fetch instead of filling it.
    // Replies come in order, so once its `ok` is here any `assign` sent before it has arrived too
    // (and been released by accept()).
    const withdrawn = this.session?.connection.request({ type: "withdraw" }).catch(() => undefined);
    await Promise.race([withdrawn, delay(FINAL_ACK_MS)]);
    await this.waitUntil(() => this.graceOver || (this.running.size === 0 && this.batcher.size === 0), graceMs);

    await this.lock.runExclusive(async () => {
      this.closed = true;
      const leftovers = this.running.releaseAll(`the worker is stopping and its ${graceMs} ms grace ran out`);
      const session = this.session;
      if (session !== undefined && !session.closed) {
        if (leftovers.length > 0) void this.release(session, leftovers);
        const lastWords = Promise.all([...this.releasing, this.batcher.drain()]);
        await Promise.race([lastWords, delay(FINAL_ACK_MS)]);
        await session.close();
      }
      clearTimeout(this.fetchRetry);
    });
    this.wakeLoop?.();
    await this.loopDone;
    if (this.batcher.size > 0) this.log.warn("stop.unreported", { reports: this.batcher.size });
    this.log.info("stopped", { workerId: this.workerId });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves once `done()` holds (checked on every change) or after `timeoutMs`. */
  private waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const check = () => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** Each handler's `job.payload` is typed by its job type's schema in `jobTypes`. */
export function createWorker<const T extends JobTypeSchemas = JobTypeSchemas>(options: WorkerOptions<T>): Worker {
  return new Worker(options);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
