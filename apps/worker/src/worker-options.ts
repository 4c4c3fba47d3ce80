// What a worker is configured with, its defaults, and the checks that turn a bad option into an
// error at construction instead of a refusal from the queue later.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { DEFAULT_JOB_TYPE, DEFAULT_QUEUE_NAME, JobType, MAX_FETCH, MAX_ID_CHARS, MAX_QUEUES_PER_WORKER, QueueName } from "@djq/protocol";
import { createLogger, type BackoffOptions, type Logger, type TlsClientOptions } from "@djq/runtime";
import type { ZodType, z } from "zod";
import type { JobHandler } from "./job-handler.js";
import { SleepPayload, createSleepHandler, type SleepHandlerOptions } from "./sleep-handler.js";

/** Payload schemas by job type. */
export type JobTypeSchemas = Record<string, ZodType>;

/**
 * One handler per job type `T` declares, plus the built-in "sleep": each handler's `job.payload`
 * is its schema's output. A handler for a type `T` does not declare is an excess property, so the
 * compiler refuses it; without `jobTypes` any type may have a handler and payloads are `unknown`.
 */
export type JobHandlers<T extends JobTypeSchemas> = { [K in keyof WithSleep<T> & string]?: JobHandler<z.output<WithSleep<T>[K]>> };

/** `T` plus the built-in "sleep" type, unless `T` declares a "sleep" of its own. */
type WithSleep<T extends JobTypeSchemas> = T & Omit<{ sleep: typeof SleepPayload }, keyof T>;

export interface WorkerOptions<T extends JobTypeSchemas = JobTypeSchemas> {
  host: string;
  port: number;
  tls?: TlsClientOptions;
  secret?: string;
  /** Stable across reconnects so the queue lets this worker keep its leases. Default: host-pid-random. */
  workerId?: string;
  /** Default ["default"]. */
  queues?: string[];
  /** Jobs run at once, 1 to 1000. Default 1. */
  concurrency?: number;
  /** Payload schemas per job type, checked before the handler runs; they type `handlers`. */
  jobTypes?: T;
  /** One handler per job type. "sleep" is built in unless given here. */
  // NoInfer: the job types come from `jobTypes` alone, so a handler cannot declare a type of its own.
  handlers?: JobHandlers<NoInfer<T>>;
  /** Options of the built-in sleep handler (e.g. whether `{"crash": true}` may kill the process). */
  sleep?: SleepHandlerOptions;
  /** Default: silent. */
  logger?: Logger;
  reconnect?: BackoffOptions;
  connectTimeoutMs?: number;
  helloTimeoutMs?: number;
  /**
   * When the queue times out or revokes an attempt of this worker and the main event loop then
   * stays blocked this long (a handler in a synchronous loop), the liveness thread kills the
   * process (SIGKILL) for its supervisor to restart. 0: never; the process stays alive, stuck.
   * Default 2000.
   */
  stuckLoopKillMs?: number;
}

export interface ResolvedWorkerOptions {
  host: string;
  port: number;
  tls: TlsClientOptions | undefined;
  secret: string | undefined;
  workerId: string;
  queues: QueueName[];
  concurrency: number;
  handlers: ReadonlyMap<string, JobHandler>;
  jobTypes: ReadonlyMap<string, ZodType>;
  logger: Logger;
  reconnect: BackoffOptions;
  connectTimeoutMs: number;
  helloTimeoutMs: number;
  stuckLoopKillMs: number;
}

const DEFAULT_STUCK_LOOP_KILL_MS = 2_000;

export function defaultWorkerId(): string {
  // The hostname is cut so the id stays inside the wire's 128 characters on any machine.
  return `${hostname().slice(0, 64)}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

// `any`: once resolved, handlers and schemas are looked up by the type name on the wire.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function resolveWorkerOptions(options: WorkerOptions<any>): ResolvedWorkerOptions {
  const queues = options.queues ?? [DEFAULT_QUEUE_NAME];
  if (queues.length === 0 || queues.length > MAX_QUEUES_PER_WORKER) {
    throw new TypeError(`a worker serves 1 to ${MAX_QUEUES_PER_WORKER} queues, got ${queues.length}`);
  }
  for (const queue of queues) {
    if (!QueueName.safeParse(queue).success) throw new TypeError(`"${queue}" is not a queue name: use letters, digits and _ . : -`);
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_FETCH) {
    throw new TypeError(`concurrency must be a whole number from 1 to ${MAX_FETCH}, got ${concurrency}`);
  }
  const workerId = options.workerId ?? defaultWorkerId();
  if (workerId.length < 1 || workerId.length > MAX_ID_CHARS) throw new TypeError(`a worker id has 1 to ${MAX_ID_CHARS} characters`);
  const stuckLoopKillMs = options.stuckLoopKillMs ?? DEFAULT_STUCK_LOOP_KILL_MS;
  if (!Number.isInteger(stuckLoopKillMs) || stuckLoopKillMs < 0) {
    throw new TypeError(`stuckLoopKillMs must be a whole number of ms, 0 or more, got ${stuckLoopKillMs}`);
  }

  // Maps, not the objects given: a job type named "constructor" must not find Object.prototype's.
  const handlers = new Map<string, JobHandler>([[DEFAULT_JOB_TYPE, createSleepHandler(options.sleep)]]);
  const jobTypes = new Map<string, ZodType>([[DEFAULT_JOB_TYPE, SleepPayload]]);
  const given: Record<string, JobHandler | undefined> = options.handlers ?? {};
  for (const [type, handler] of Object.entries(given)) {
    if (!JobType.safeParse(type).success) throw new TypeError(`"${type}" is not a job type: use letters, digits and _ . : -`);
    if (handler === undefined) continue;
    handlers.set(type, handler);
    // A handler of one's own for "sleep" brings its own payload rules, if any.
    if (type === DEFAULT_JOB_TYPE) jobTypes.delete(type);
  }
  const schemas: JobTypeSchemas = options.jobTypes ?? {};
  for (const [type, schema] of Object.entries(schemas)) jobTypes.set(type, schema);

  return {
    host: options.host,
    port: options.port,
    tls: options.tls,
    secret: options.secret,
    workerId,
    queues,
    concurrency,
    handlers,
    jobTypes,
    logger: options.logger ?? createLogger({ program: "worker", level: "silent" }),
    reconnect: options.reconnect ?? {},
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    stuckLoopKillMs,
  };
}
