// Runs one attempt to an outcome: finds the handler, checks the payload against the job type's
// schema, calls the handler and turns whatever happens into a report. It never throws and never
// touches the connection; the worker decides whether and when the outcome is sent.
import { MAX_ERROR_CHARS, describeIssues, flatRecordJsonBytes, scalarJsonBytes, type Assignment } from "@djq/protocol";
import type { ZodType } from "zod";
import type { Job, JobContext, JobHandler } from "./job-handler.js";
import { PermanentJobError } from "./permanent-job-error.js";

export type JobOutcome =
  | { kind: "completed"; result: unknown; resultBytes: number }
  | { kind: "failed"; error: string; permanent: boolean };

export interface RunJobInput {
  assignment: Assignment;
  handler: JobHandler | undefined;
  schema: ZodType | undefined;
  ctx: JobContext;
  /** A result larger than this could not be sent in one frame, so it fails the job instead. */
  maxResultBytes: number;
}

export function runJob(input: RunJobInput): Promise<JobOutcome> {
  return new Promise((resolve) => startJob(input, { end: resolve }));
}

/** Where startJob delivers an attempt's outcome. */
export interface OutcomeSink {
  end(outcome: JobOutcome): void;
}

/**
 * Runs the attempt and calls `sink.end` once with how it ended, always after startJob returned
 * (a microtask later at the soonest). The same as `runJob(input).then(end)` but without the
 * promise hops of an async function, which a job that returns at once pays more for than it pays
 * for its own work.
 */
export function startJob({ assignment, handler, schema, ctx, maxResultBytes }: RunJobInput, sink: OutcomeSink): void {
  if (handler === undefined) return later(sink, failed(`no handler for job type "${assignment.type}"`, true));

  let payload: unknown = assignment.payload;
  if (schema !== undefined) {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      return later(sink, failed(`payload does not match the schema of ${assignment.type}: ${describeIssues(parsed.error)}`, true));
    }
    payload = parsed.data;
  }

  let settling: Promise<unknown>;
  try {
    // A promise the handler returns is used as it is; anything else (a value, a thenable) is
    // adopted the way `await` would adopt it.
    settling = Promise.resolve(handler(toJob(assignment, payload), ctx));
  } catch (error) {
    return later(sink, failed(errorMessage(error), error instanceof PermanentJobError));
  }
  settling.then(
    (result) => sink.end(checkResult(result, maxResultBytes)),
    (error: unknown) => sink.end(failed(errorMessage(error), error instanceof PermanentJobError)),
  );
}

function later(sink: OutcomeSink, outcome: JobOutcome): void {
  queueMicrotask(() => sink.end(outcome));
}

function toJob(assignment: Assignment, payload: unknown): Job {
  return {
    id: assignment.jobId,
    type: assignment.type,
    queue: assignment.queue,
    payload,
    attempt: assignment.attempt,
    maxAttempts: assignment.maxAttempts,
    lease: assignment.lease,
    durationMs: assignment.durationMs,
    timeoutMs: assignment.timeoutMs,
  };
}

// Serialise once here so a result that cannot travel (a BigInt, a cycle, too many bytes) fails
// this job alone instead of breaking the batch it would have been sent in. Retrying would give the
// same result, so these failures are permanent.
function checkResult(result: unknown, maxResultBytes: number): JobOutcome {
  if (result === undefined) return { kind: "completed", result: undefined, resultBytes: 0 };
  let json: string | undefined;
  try {
    const flat = flatOutcome(result, maxResultBytes);
    if (flat !== undefined) return flat;
    json = JSON.stringify(result);
  } catch (error) {
    return failed(`the result is not JSON-serialisable: ${errorMessage(error)}`, true);
  }
  if (json === undefined) return failed(`the result is not JSON-serialisable: a ${typeof result} has no JSON form`, true);
  // Send what JSON will carry, not the live object: a handler may still mutate what it returned.
  return sized(JSON.parse(json) as unknown, Buffer.byteLength(json), maxResultBytes);
}

function sized(result: unknown, resultBytes: number, maxResultBytes: number): JobOutcome {
  if (resultBytes > maxResultBytes) {
    return failed(`the result is ${resultBytes} bytes, more than the ${maxResultBytes} bytes one message can carry`, true);
  }
  return { kind: "completed", result, resultBytes };
}

/**
 * checkResult for the common results whose JSON text is easy to foresee: null, a boolean, a
 * number, a string of printable ASCII needing no escapes, or a plain object whose keys and values
 * are all of those. What JSON.parse(JSON.stringify(result)) would give is then a plain copy, and
 * the encoded size can be counted without encoding. Undefined for anything else.
 */
function flatOutcome(result: unknown, maxResultBytes: number): JobOutcome | undefined {
  if (typeof result !== "object" || result === null) {
    const bytes = scalarJsonBytes(result);
    return bytes === 0 ? undefined : sized(result, bytes, maxResultBytes);
  }
  const copy: Record<string, unknown> = {};
  const bytes = flatRecordJsonBytes(result, copy);
  return bytes === 0 ? undefined : sized(copy, bytes, maxResultBytes);
}

function failed(error: string, permanent: boolean): JobOutcome {
  return { kind: "failed", error: error.slice(0, MAX_ERROR_CHARS), permanent };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === "" ? error.name : error.message;
  return String(error);
}
