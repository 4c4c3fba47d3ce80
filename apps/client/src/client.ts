// The client library: submit jobs, look them up, and wait for them to settle, over a connection
// that survives drops and queue restarts. Each method is one request; the reconnect policy lives
// in ReconnectingSession and the watched-job bookkeeping in WatchRegistry.
import { EventEmitter } from "node:events";
import {
  JobId,
  JobSpec,
  MAX_JOBS_PER_MESSAGE,
  describeIssues,
  isJobSpec,
  type JobState,
  type JobView,
  type QueueName,
  type StatsReply,
} from "@djq/protocol";
import { ConnectionClosedError, QueueError, createLogger, type Logger, type QueueConnection, type TlsClientOptions } from "@djq/runtime";
import type { z } from "zod";
import { JobLostError, PartialSubmitError } from "./client-errors.js";
import { parsePayload, type JobTypeMap } from "./job-types.js";
import { ReconnectingSession, type ReconnectOptions } from "./reconnecting-session.js";
import { splitIntoBatches, submitFrame } from "./submit-batches.js";
import { WatchRegistry, type SettledJob } from "./watch-registry.js";

export interface ClientOptions<T extends JobTypeMap = Record<never, never>> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7070. */
  port?: number;
  tls?: TlsClientOptions;
  secret?: string;
  /** Reconnects and queue restarts are logged here; silent by default. */
  logger?: Logger;
  reconnect?: ReconnectOptions;
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** Registered job types: enables `enqueue` with payloads checked against these schemas. */
  jobTypes?: T;
  /** How many settled results to keep for `waitFor` calls that have not happened yet. Default 100000. */
  maxRetainedSettled?: number;
}

export interface SubmitOptions {
  /** Idempotency key; a fresh random one per message by default. */
  key?: string;
  /** Ask the queue to push `settled` for these jobs, so `waitFor` needs no extra request. */
  watch?: boolean;
}

export type EnqueueOptions = Omit<JobSpec, "type" | "payload"> & SubmitOptions;

export interface ListFilter {
  state: JobState;
  queue?: QueueName;
  /** Jobs per page, 1 to 500. */
  limit?: number;
  /** Start after this place in the state's listing (the previous page's `next`). */
  after?: number;
}

export interface ListPage {
  jobs: JobView[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export interface WaitOptions {
  /** Called once per job as it settles (at once for jobs already settled). */
  onSettled?: (job: SettledJob) => void;
  /** Called for each progress report of these jobs' running attempts, as the queue pushes it. */
  onProgress?: (progress: JobProgressEvent) => void;
}

/** A running attempt's `ctx.progress(percent, message)`, as the queue pushes it to the job's watchers. */
export interface JobProgressEvent {
  jobId: JobId;
  percent: number;
  message?: string;
}

export interface ClientEvents {
  /** Progress of a job this client watches (submitted with `watch`, or waited for). */
  progress: [event: JobProgressEvent];
}

export type StatsSnapshot = Omit<StatsReply, "id" | "type">;

export class DjqClient<T extends JobTypeMap = Record<never, never>> extends EventEmitter<ClientEvents> {
  private readonly session: ReconnectingSession;
  private readonly registry: WatchRegistry;
  private readonly jobTypes: JobTypeMap;

  private constructor(options: ClientOptions<T>) {
    super();
    this.jobTypes = options.jobTypes ?? {};
    this.registry = new WatchRegistry(options.maxRetainedSettled);
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 7070;
    this.session = new ReconnectingSession(
      {
        endpoint: { host, port, ...(options.tls !== undefined ? { tls: options.tls } : {}) },
        secret: options.secret,
        logger: options.logger ?? createLogger({ program: "djq-client", level: "silent" }),
        reconnect: options.reconnect ?? {},
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        maxResends: 5,
      },
      {
        onPush: (message, runId) => {
          if (message.type === "settled" && runId !== undefined) for (const job of message.jobs) this.registry.recordSettled(job, runId);
          // {"type":"progress","jobId":7,"percent":40,"message":"resizing"}
          else if (message.type === "progress") {
            const { type: _type, ...progress } = message;
            this.emit("progress", progress);
          }
        },
        onRunChanged: (previousRunId, runId) => {
          this.registry.loseRun(
            previousRunId,
            (jobId) =>
              new JobLostError(jobId, `the queue restarted (run ${previousRunId} is now ${runId}) before it settled; its outcome is unknown`),
          );
        },
        onConnected: (connection, runId) => this.rewatch(connection, runId),
        wantsConnection: () => this.registry.unsettledCount > 0,
        onGaveUp: (error) => this.registry.rejectAll(error),
      },
    );
  }

  /** Connects and says hello; rejects at once if the queue is unreachable or refuses the secret. */
  static async connect<T extends JobTypeMap = Record<never, never>>(options: ClientOptions<T> = {}): Promise<DjqClient<T>> {
    const client = new DjqClient(options);
    await client.session.start();
    return client;
  }

  /** Identifies the queue process this client talks to; it changes when the queue restarts. */
  get queueRunId(): string {
    return this.session.runId;
  }

  // {"type":"submit","jobs":[{"durationMs":500}],"key":"…","watch":true} → {"type":"submitted","jobIds":[1]}
  /** Submits jobs and returns their ids in order; resends safely (same key) across drops. */
  async submit(jobs: JobSpec | readonly JobSpec[], options: SubmitOptions = {}): Promise<JobId[]> {
    const list = Array.isArray(jobs) ? (jobs as readonly JobSpec[]) : [jobs as JobSpec];
    const specs = list.map((job, index) => {
      // No copy: each job is encoded once, now, and that text is what every send carries, so
      // the caller may change its objects once submit returns.
      if (isJobSpec(job)) return job;
      const parsed = JobSpec.safeParse(job);
      if (!parsed.success) throw new TypeError(describeIssues(parsed.error, ["jobs", index]));
      return parsed.data;
    });
    if (specs.length === 0) return [];
    const batches = splitIntoBatches(specs, { maxFrameBytes: this.session.maxFrameBytes }, options.key);
    const jobIds: JobId[] = [];
    for (const batch of batches) {
      try {
        const watch = options.watch === true;
        const reply = await this.session.request(
          { type: "submit", jobs: batch.jobs, key: batch.key, ...(watch ? { watch: true } : {}) },
          { frame: (id) => submitFrame(id, batch, watch) },
        );
        if (options.watch === true) this.registry.watch(reply.jobIds, this.session.runId);
        jobIds.push(...reply.jobIds);
      } catch (error) {
        if (jobIds.length === 0) throw error;
        throw new PartialSubmitError(jobIds, specs.length - jobIds.length, error as Error);
      }
    }
    return jobIds;
  }

  /** Submits one job of a registered type; the payload is checked against its schema first. */
  async enqueue<K extends keyof T & string>(type: K, payload: z.input<T[K]>, options: EnqueueOptions = {}): Promise<JobId> {
    const [jobId] = await this.enqueueMany(type, [payload], options);
    return jobId as JobId;
  }

  /** Submits several jobs of one registered type; all payloads are checked before any is sent. */
  async enqueueMany<K extends keyof T & string>(
    type: K,
    payloads: readonly z.input<T[K]>[],
    options: EnqueueOptions = {},
  ): Promise<JobId[]> {
    const { key, watch, ...spec } = options;
    const jobs = payloads.map((payload) => ({ ...spec, type, payload: parsePayload(this.jobTypes, type, payload) }));
    return this.submit(jobs, { ...(key !== undefined ? { key } : {}), ...(watch !== undefined ? { watch } : {}) });
  }

  /**
   * Resolves once every job has settled (completed, failed or cancelled), with their records in
   * the order given. Jobs not submitted with `watch` are watched now. Rejects with JobLostError if
   * the queue restarted before a job settled, or ConnectionClosedError if the queue stays away.
   */
  async waitFor(jobIds: JobId | readonly JobId[], options: WaitOptions = {}): Promise<Map<JobId, SettledJob>> {
    const ids = typeof jobIds === "number" ? [jobIds] : jobIds;
    ids.forEach((jobId, index) => {
      if (!JobId.safeParse(jobId).success) throw new TypeError(`jobIds[${index}]: ${JSON.stringify(jobId)} is not a job id (a positive integer)`);
    });
    const onProgress = options.onProgress;
    const wanted = onProgress === undefined ? undefined : new Set(ids);
    const listener = (progress: JobProgressEvent) => {
      if (wanted?.has(progress.jobId) === true) onProgress?.(progress);
    };
    if (onProgress !== undefined) this.on("progress", listener);
    try {
      const handle = this.registry.wait(ids, options.onSettled);
      const [results] = await Promise.all([handle.done, this.watch(handle.unknown)]);
      return results;
    } finally {
      this.off("progress", listener);
    }
  }

  // {"type":"status","jobId":7} → {"type":"job","job":{…}}
  async status(jobId: JobId): Promise<JobView> {
    return (await this.session.request({ type: "status", jobId })).job;
  }

  // {"type":"stats"} → {"type":"stats",…}
  async stats(): Promise<StatsSnapshot> {
    const { id: _id, type: _type, ...stats } = await this.session.request({ type: "stats" });
    return stats;
  }

  // {"type":"list","state":"failed","limit":50} → {"type":"jobs","jobs":[…],"next":51}
  async list(filter: ListFilter): Promise<ListPage> {
    const reply = await this.session.request({ type: "list", ...filter });
    return reply.next === undefined ? { jobs: reply.jobs } : { jobs: reply.jobs, next: reply.next };
  }

  /** Every job matching `filter`, one page at a time. */
  async *listAll(filter: Omit<ListFilter, "after">): AsyncGenerator<JobView> {
    let after: JobId | undefined;
    do {
      const page = await this.list(after === undefined ? filter : { ...filter, after });
      yield* page.jobs;
      after = page.next;
    } while (after !== undefined);
  }

  // {"type":"cancel","jobId":7} → {"type":"ok"}
  async cancel(jobId: JobId): Promise<void> {
    await this.sendOnce({ type: "cancel", jobId }, (job) => job.state === "cancelled");
  }

  // {"type":"retry","jobId":7} → {"type":"ok"}
  async retry(jobId: JobId): Promise<void> {
    await this.sendOnce({ type: "retry", jobId }, (job) => job.state !== "failed" && job.state !== "cancelled");
  }

  // {"type":"pause","queue":"default"} → {"type":"ok"}; an unknown queue is refused unless `create`
  async pause(queue: QueueName, options: { create?: boolean } = {}): Promise<void> {
    await this.session.request({ type: "pause", queue, ...(options.create === true ? { create: true } : {}) });
  }

  // {"type":"resume","queue":"default"} → {"type":"ok"}; an unknown queue is refused unless `create`
  async resume(queue: QueueName, options: { create?: boolean } = {}): Promise<void> {
    await this.session.request({ type: "resume", queue, ...(options.create === true ? { create: true } : {}) });
  }

  /** Closes the connection; pending waitFor calls reject. Jobs keep running on the queue. */
  async close(): Promise<void> {
    await this.session.close();
    this.registry.rejectAll(new ConnectionClosedError("the client was closed before the jobs settled"));
  }

  /**
   * Cancel and retry are not idempotent: resent after a drop, one that did happen the first time
   * would come back `invalid-state`. So after a drop, look at the job first and resend only if
   * the first request evidently did not take effect.
   */
  private async sendOnce(body: { type: "cancel" | "retry"; jobId: JobId }, tookEffect: (job: JobView) => boolean): Promise<void> {
    try {
      await this.session.request(body, { resend: false });
    } catch (error) {
      if (!this.session.isDrop(error)) throw error;
      if (tookEffect(await this.status(body.jobId))) return;
      await this.session.request(body, { resend: false });
    }
  }

  /** Watches ids the queue has not been asked about on this run (waitFor on any job id). */
  private async watch(jobIds: JobId[]): Promise<void> {
    if (jobIds.length === 0) return;
    this.registry.watch(jobIds, this.session.runId);
    for (let start = 0; start < jobIds.length; start += MAX_JOBS_PER_MESSAGE) {
      await this.sendWatch(jobIds.slice(start, start + MAX_JOBS_PER_MESSAGE), (ids) =>
        this.session.request({ type: "watch", jobIds: ids }),
      );
    }
  }

  /** After a reconnect to the same queue run: ask again for pushes of every unsettled watched job. */
  private async rewatch(connection: QueueConnection, runId: string): Promise<void> {
    const jobIds = this.registry.unsettled(runId);
    for (let start = 0; start < jobIds.length; start += MAX_JOBS_PER_MESSAGE) {
      await this.sendWatch(jobIds.slice(start, start + MAX_JOBS_PER_MESSAGE), (ids) =>
        connection.request({ type: "watch", jobIds: ids }),
      );
    }
  }

  // {"type":"watch","jobIds":[1,2]} → {"type":"ok"}, then a `settled` push per job (at once if already settled)
  private async sendWatch(jobIds: JobId[], send: (jobIds: JobId[]) => Promise<unknown>): Promise<void> {
    try {
      await send(jobIds);
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      if (jobIds.length === 1) {
        this.registry.lose(jobIds[0] as JobId, error);
        return;
      }
      // One refused id (unknown, expired) refuses the whole message: find which, keep the rest.
      await Promise.all(jobIds.map((jobId) => this.sendWatch([jobId], send)));
    }
  }
}

export function connectClient<T extends JobTypeMap = Record<never, never>>(options: ClientOptions<T> = {}): Promise<DjqClient<T>> {
  return DjqClient.connect(options);
}
