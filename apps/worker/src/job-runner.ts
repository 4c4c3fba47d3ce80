// Runs one attempt to an outcome: finds the handler, checks the payload against the job type's
// schema, calls the handler and turns whatever happens into a report. It never throws and never
// touches the connection; the worker decides whether and when the outcome is sent.
import { describeIssues, type Assignment } from "@djq/protocol";
import type { ZodType } from "zod";
import type { Job, JobContext, JobHandler } from "./job-handler.js";
import { PermanentJobError } from "./permanent-job-error.js";

/** The wire's limit on a `fail` error string. */
export const MAX_ERROR_CHARS = 4096;

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

export async function runJob({ assignment, handler, schema, ctx, maxResultBytes }: RunJobInput): Promise<JobOutcome> {
  if (handler === undefined) return failed(`no handler for job type "${assignment.type}"`, true);

  let payload: unknown = assignment.payload;
  if (schema !== undefined) {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      return failed(`payload does not match the schema of ${assignment.type}: ${describeIssues(parsed.error)}`, true);
    }
    payload = parsed.data;
  }

  let result: unknown;
  try {
    result = await handler(toJob(assignment, payload), ctx);
  } catch (error) {
    return failed(errorMessage(error), error instanceof PermanentJobError);
  }
  return checkResult(result, maxResultBytes);
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
    json = JSON.stringify(result);
  } catch (error) {
    return failed(`the result is not JSON-serialisable: ${errorMessage(error)}`, true);
  }
  if (json === undefined) return failed(`the result is not JSON-serialisable: a ${typeof result} has no JSON form`, true);
  const resultBytes = Buffer.byteLength(json);
  if (resultBytes > maxResultBytes) {
    return failed(`the result is ${resultBytes} bytes, more than the ${maxResultBytes} bytes one message can carry`, true);
  }
  // Send what JSON will carry, not the live object: a handler may still mutate what it returned.
  return { kind: "completed", result: JSON.parse(json) as unknown, resultBytes };
}

function failed(error: string, permanent: boolean): JobOutcome {
  return { kind: "failed", error: error.slice(0, MAX_ERROR_CHARS), permanent };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message === "" ? error.name : error.message;
  return String(error);
}
