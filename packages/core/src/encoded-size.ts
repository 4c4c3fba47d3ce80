// Upper bounds on what a job costs on the wire, so batches can be cut to fit a frame before
// they are built. Names and types are ASCII of at most 64 characters (the protocol's schema),
// so everything but the payload fits in a fixed allowance.
import type { JobRecord } from "./job-record.js";

/** An assignment's fields other than its payload, names at their longest, with separators. */
export const ASSIGNMENT_OVERHEAD_BYTES = 400;

export function assignmentBytes(job: JobRecord): number {
  return ASSIGNMENT_OVERHEAD_BYTES + job.payloadBytes;
}
