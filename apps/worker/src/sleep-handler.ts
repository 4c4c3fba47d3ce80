// The built-in handler for job type "sleep": it stands in for real work in demos, benchmarks and
// tests, and can simulate failures and crashes on request through its payload.
import { z } from "zod";
import { isAborted } from "./job-context.js";
import type { JobContext, JobHandler } from "./job-handler.js";
import { PermanentJobError } from "./permanent-job-error.js";

export const SleepPayload = z
  .looseObject({
    /** Fail every attempt, with this message when it is a string. */
    fail: z.union([z.boolean(), z.string()]).optional(),
    /** Fail attempts 1..n, then succeed. */
    failTimes: z.number().int().min(0).optional(),
    /** Make a simulated failure permanent. */
    permanent: z.boolean().optional(),
    /** Kill the worker process mid-job (only where the worker enables crashing). */
    crash: z.boolean().optional(),
  })
  .nullish();
export type SleepPayload = z.infer<typeof SleepPayload>;

export interface SleepResult {
  sleptMs: number;
  workerId: string;
}

export interface SleepHandlerOptions {
  /**
   * Called for a `{"crash": true}` payload; the CLI passes `() => process.exit(1)`. Without it a
   * crash request fails the attempt instead, so a library user cannot be killed by a payload.
   */
  onCrash?: () => void;
}

const NO_OPTIONS: NonNullable<SleepPayload> = Object.freeze({});

export function createSleepHandler(options: SleepHandlerOptions = {}): JobHandler<SleepPayload, SleepResult> {
  return async (job, ctx) => {
    const payload = job.payload ?? NO_OPTIONS;
    if (payload.crash === true) {
      if (options.onCrash === undefined) throw new Error("crash requested, but this worker does not allow crashing");
      options.onCrash();
    }
    const startedAt = Date.now();
    if (job.durationMs > 0) await sleepReportingProgress(job.durationMs, ctx);
    // A zero-length sleep is over now, unless the attempt was abandoned already; awaiting a done
    // promise would only cost the job its turn, and asking ctx.signal would build one.
    else if (isAborted(ctx)) throw ctx.signal.reason;
    const failMessage =
      typeof payload.fail === "string" ? payload.fail
      : payload.fail === true ? "simulated failure"
      : payload.failTimes !== undefined && job.attempt <= payload.failTimes ? `simulated failure ${job.attempt} of ${payload.failTimes}`
      : undefined;
    if (failMessage !== undefined) throw payload.permanent === true ? new PermanentJobError(failMessage) : new Error(failMessage);
    return { sleptMs: Date.now() - startedAt, workerId: ctx.workerId };
  };
}

export const sleepHandler = createSleepHandler();

/** Sleeps at least this long report progress at each quarter, so `status` shows them moving. */
export const PROGRESS_MIN_DURATION_MS = 1_000;
const PROGRESS_MARKS = [25, 50, 75] as const;

async function sleepReportingProgress(durationMs: number, ctx: JobContext): Promise<void> {
  const startedAt = Date.now();
  const untilPercent = (percent: number) => Math.max(0, startedAt + (durationMs * percent) / 100 - Date.now());
  if (durationMs >= PROGRESS_MIN_DURATION_MS) {
    for (const percent of PROGRESS_MARKS) {
      await sleep(untilPercent(percent), ctx.signal);
      // Not awaited: a slow reply must not stretch the sleep. It never rejects (and extends the lease).
      void ctx.progress(percent);
    }
  }
  // A timer can fire a millisecond before the wall clock has moved on as far (they round apart):
  // the rest is slept too, so the sleep lasts its whole duration by the clock `sleptMs` is read from.
  for (let left = untilPercent(100); left > 0; left = untilPercent(100)) await sleep(left, ctx.signal);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  // A zero-length job is done now: a timer would cost it a whole millisecond or more.
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
