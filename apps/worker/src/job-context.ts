// Builds the `ctx` a handler receives. Progress and extend are best effort: they never reject
// into the handler, and a refusal that means the lease is gone is turned into an abort instead.
import { ErrorCode, type Assignment, type RequestBody } from "@djq/protocol";
import { QueueError, type LogFields, type Logger } from "@djq/runtime";
import type { JobContext } from "./job-handler.js";

/** Refusals of progress/extend after which this attempt's work is wasted. */
const leaseLostCodes: ReadonlySet<string> = new Set([ErrorCode.staleLease, ErrorCode.unknownJob, ErrorCode.jobExpired, ErrorCode.invalidState]);

/** The attempt a context belongs to, as the context sees it. */
export interface JobContextSource {
  readonly assignment: Assignment;
  /**
   * The attempt's signal. Made on first use: an AbortSignal costs Node microseconds to build, more
   * than the rest of a short job's bookkeeping together, and most handlers never look at it.
   */
  signal(): AbortSignal;
  /** Whether the attempt was given up (its signal has fired, or will as soon as it is made). */
  readonly aborted: boolean;
  /** Sends a request on the current session; resolves undefined when there is none. */
  send(body: RequestBody): Promise<unknown> | undefined;
  leaseLost(reason: string): void;
}

// A plain object in all that a handler can see: `signal`, `workerId`, `logger`, `progress` and
// `extend` are own enumerable properties (so `{ ...ctx }` and destructuring work as before), and
// `progress`/`extend`/the logger's methods need no `this`. Only `signal` is an accessor, which
// builds the signal the first time anyone reads it.
class WorkerJobContext implements JobContext {
  static readonly #signalProperty: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: WorkerJobContext): AbortSignal {
      return this.#source.signal();
    },
    set(this: WorkerJobContext, value: AbortSignal) {
      // Assignable like any plain property; from then on the context speaks for that signal.
      this.#replaced = true;
      Object.defineProperty(this, "signal", { value, writable: true, enumerable: true, configurable: true });
    },
  };

  declare signal: AbortSignal;
  declare workerId: string;
  declare logger: Logger;
  declare progress: (percent: number, message?: string) => Promise<void>;
  declare extend: () => Promise<void>;
  readonly #source: JobContextSource;
  #replaced = false;

  constructor(source: JobContextSource, workerId: string, logger: Logger) {
    this.#source = source;
    Object.defineProperty(this, "signal", WorkerJobContext.#signalProperty);
    this.workerId = workerId;
    const { jobId, lease } = source.assignment;
    this.logger = withFields(logger, { jobId, lease });
    // {"id":9,"type":"progress","jobId":1,"lease":1,"percent":40,"message":"resizing"}
    this.progress = (percent, message) =>
      touch(source, {
        type: "progress",
        jobId,
        lease,
        percent: Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0,
        ...(message !== undefined ? { message: String(message).slice(0, 200) } : {}),
      });
    // {"id":8,"type":"extend","jobId":1,"lease":1}
    this.extend = () => touch(source, { type: "extend", jobId, lease });
  }

  /** `ctx.signal.aborted`, without building the signal of a context of ours just to ask. */
  static isAborted(ctx: JobContext): boolean {
    return #source in ctx && !ctx.#replaced ? ctx.#source.aborted : ctx.signal.aborted;
  }
}

export function createJobContext(source: JobContextSource, workerId: string, logger: Logger): JobContext {
  return new WorkerJobContext(source, workerId, logger);
}

/** Whether the context's signal has fired; for any JobContext, cheap for the worker's own. */
export function isAborted(ctx: JobContext): boolean {
  return WorkerJobContext.isAborted(ctx);
}

async function touch(source: JobContextSource, body: RequestBody): Promise<void> {
  if (source.aborted) return;
  try {
    await source.send(body);
  } catch (error) {
    if (error instanceof QueueError && leaseLostCodes.has(error.code)) source.leaseLost(error.message);
    // Anything else (a lost connection) is for the session to deal with; the job carries on.
  }
}

export function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    debug: (event, more) => logger.debug(event, { ...fields, ...more }),
    info: (event, more) => logger.info(event, { ...fields, ...more }),
    warn: (event, more) => logger.warn(event, { ...fields, ...more }),
    error: (event, more) => logger.error(event, { ...fields, ...more }),
    enabled: (level) => logger.enabled(level),
  };
}
