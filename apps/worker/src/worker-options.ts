// What a worker is configured with, its defaults, and the checks that turn a bad option into an
// error at construction instead of a refusal from the queue later.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { DEFAULT_JOB_TYPE, DEFAULT_QUEUE_NAME, JobType, MAX_FETCH, MAX_ID_CHARS, MAX_QUEUES_PER_WORKER, QueueName } from "@djq/protocol";
import { createLogger, type BackoffOptions, type Logger, type TlsClientOptions } from "@djq/runtime";
import type { ZodType } from "zod";
import type { JobHandler } from "./job-handler.js";
import { SleepPayload, createSleepHandler, type SleepHandlerOptions } from "./sleep-handler.js";

export interface WorkerOptions {
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
  /** One handler per job type. "sleep" is built in unless given here. */
  handlers?: Record<string, JobHandler>;
  /** Payload schemas per job type, checked before the handler runs. */
  jobTypes?: Record<string, ZodType>;
  /** Options of the built-in sleep handler (e.g. whether `{"crash": true}` may kill the process). */
  sleep?: SleepHandlerOptions;
  /** Default: silent. */
  logger?: Logger;
  reconnect?: BackoffOptions;
  connectTimeoutMs?: number;
  helloTimeoutMs?: number;
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
}

export function defaultWorkerId(): string {
  // The hostname is cut so the id stays inside the wire's 128 characters on any machine.
  return `${hostname().slice(0, 64)}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
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

  // Maps, not the objects given: a job type named "constructor" must not find Object.prototype's.
  const handlers = new Map<string, JobHandler>([[DEFAULT_JOB_TYPE, createSleepHandler(options.sleep)]]);
  const jobTypes = new Map<string, ZodType>([[DEFAULT_JOB_TYPE, SleepPayload]]);
  for (const [type, handler] of Object.entries(options.handlers ?? {})) {
    if (!JobType.safeParse(type).success) throw new TypeError(`"${type}" is not a job type: use letters, digits and _ . : -`);
    handlers.set(type, handler);
    // A handler of one's own for "sleep" brings its own payload rules, if any.
    if (type === DEFAULT_JOB_TYPE) jobTypes.delete(type);
  }
  for (const [type, schema] of Object.entries(options.jobTypes ?? {})) jobTypes.set(type, schema);

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
  };
}
