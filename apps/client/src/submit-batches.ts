// Cuts one submission into messages the queue will accept: at most MAX_JOBS_PER_MESSAGE jobs and
// fewer bytes than the queue's frame limit (a frame over it makes the queue drop the connection),
// each with its own idempotency key so every message can be resent on its own.
import { randomUUID } from "node:crypto";
import { MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, type JobSpec } from "@djq/protocol";

/** Room left in a frame for `{"id":…,"type":"submit","jobs":[…],"key":"…","watch":true}`. */
const ENVELOPE_BYTES = 512;

export interface SubmitBatch {
  key: string;
  jobs: JobSpec[];
}

export interface BatchLimits {
  maxJobs?: number;
  maxFrameBytes: number;
}

export function splitIntoBatches(jobs: readonly JobSpec[], limits: BatchLimits, callerKey?: string): SubmitBatch[] {
  const maxJobs = limits.maxJobs ?? MAX_JOBS_PER_MESSAGE;
  const maxBytes = limits.maxFrameBytes - ENVELOPE_BYTES;
  const groups: JobSpec[][] = [];
  let current: JobSpec[] = [];
  let currentBytes = 0;
  jobs.forEach((job, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(job)) + 1;
    if (bytes > maxBytes) {
      throw new RangeError(`jobs[${index}] is ${bytes} bytes as JSON; the queue accepts frames of at most ${limits.maxFrameBytes} bytes`);
    }
    if (current.length === maxJobs || currentBytes + bytes > maxBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(job);
    currentBytes += bytes;
  });
  if (current.length > 0) groups.push(current);
  return groups.map((group, index) => ({ key: batchKey(callerKey, index, groups.length), jobs: group }));
}

/**
 * A caller's key is used as is for a one-message submit; split submits get `key#0`, `key#1`…, so
 * repeating the whole call with the same key (and the same jobs) repeats every message's key.
 */
function batchKey(callerKey: string | undefined, index: number, count: number): string {
  if (callerKey === undefined) return randomUUID();
  const key = count === 1 ? callerKey : `${callerKey}#${index}`;
  if (callerKey.length === 0 || key.length > MAX_ID_CHARS) {
    throw new RangeError(`the submit key "${key.slice(0, 40)}…" must be 1 to ${MAX_ID_CHARS} characters long`);
  }
  return key;
}
