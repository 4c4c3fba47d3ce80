// A named map from job type to the zod schema of its payload, shared by the programs that submit
// jobs and the workers that run them, so both sides agree at compile time and at run time.
import { JobType, describeIssues } from "@djq/protocol";
import type { z } from "zod";

export type JobTypeMap = Record<string, z.ZodType>;

/** The payload a caller writes for `type`: the schema's input (before defaults and transforms). */
export type PayloadInput<T extends JobTypeMap, K extends keyof T> = z.input<T[K]>;
/** The payload a worker receives for `type`: the schema's output. */
export type PayloadOutput<T extends JobTypeMap, K extends keyof T> = z.output<T[K]>;

/**
 * Returns `types` unchanged, typed exactly, after checking every name is a valid job type.
 * Keep schemas JSON-shaped: the parsed payload is what travels over the wire.
 */
export function defineJobTypes<const T extends JobTypeMap>(types: T): T {
  for (const name of Object.keys(types)) {
    const check = JobType.safeParse(name);
    if (!check.success) throw new TypeError(`job type "${name}": ${describeIssues(check.error)}`);
  }
  return types;
}

export class PayloadValidationError extends Error {
  constructor(
    readonly jobType: string,
    readonly issues: z.core.$ZodIssue[],
    detail: string,
  ) {
    super(`payload for job type "${jobType}" is not valid: ${detail}`);
    this.name = "PayloadValidationError";
  }
}

/** Parses `payload` with the type's schema; throws PayloadValidationError instead of sending it. */
export function parsePayload(types: JobTypeMap, jobType: string, payload: unknown): unknown {
  const schema = Object.hasOwn(types, jobType) ? types[jobType] : undefined;
  if (schema === undefined) throw new TypeError(`"${jobType}" is not a registered job type`);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new PayloadValidationError(jobType, parsed.error.issues, describeIssues(parsed.error));
  return parsed.data;
}
