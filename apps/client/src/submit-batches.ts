// Cuts one submission into messages the queue will accept: at most MAX_JOBS_PER_MESSAGE jobs and
// fewer bytes than the queue's frame limit (a frame over it makes the queue drop the connection),
// each with its own idempotency key so every message can be resent on its own. Each job is
// encoded once, to be measured, and that text is what each send of its message carries.
import { randomUUID } from "node:crypto";
import { MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, type JobSpec } from "@djq/protocol";

/** Room left in a frame for `{"id":…,"type":"submit","jobs":[…],"key":"…","watch":true}`. */
const ENVELOPE_BYTES = 512;

export interface SubmitBatch {
  key: string;
  jobs: JobSpec[];
  /** The jobs' JSON, comma-separated, as measured: the text a `submit` frame carries for them. */
  jobsJson: string;
}

export interface BatchLimits {
  maxJobs?: number;
  maxFrameBytes: number;
}

export function splitIntoBatches(jobs: readonly JobSpec[], limits: BatchLimits, callerKey?: string): SubmitBatch[] {
  const maxJobs = limits.maxJobs ?? MAX_JOBS_PER_MESSAGE;
  const maxBytes = limits.maxFrameBytes - ENVELOPE_BYTES;
  const groups: { jobs: JobSpec[]; texts: string[] }[] = [];
  let current: JobSpec[] = [];
  let texts: string[] = [];
  let currentBytes = 0;
  jobs.forEach((job, index) => {
    const text = JSON.stringify(job);
    const bytes = Buffer.byteLength(text) + 1;
    if (bytes > maxBytes) {
      throw new RangeError(`jobs[${index}] is ${bytes} bytes as JSON; the queue accepts frames of at most ${limits.maxFrameBytes} bytes`);
    }
    if (current.length === maxJobs || currentBytes + bytes > maxBytes) {
      groups.push({ jobs: current, texts });
      current = [];
      texts = [];
      currentBytes = 0;
    }
    current.push(job);
    texts.push(text);
    currentBytes += bytes;
  });
  if (current.length > 0) groups.push({ jobs: current, texts });
  return groups.map((group, index) => ({
    key: batchKey(callerKey, index, groups.length),
    jobs: group.jobs,
    jobsJson: group.texts.length === 1 ? (group.texts[0] as string) : group.texts.join(","),
  }));
}

/** The frame of one batch's `submit`, the same text encodeFrame would make of it, built around the jobs' measured JSON. */
export function submitFrame(id: number, batch: SubmitBatch, watch: boolean): string {
  return `{"id":${id},"type":"submit","jobs":[${batch.jobsJson}],"key":${JSON.stringify(batch.key)}${watch ? ',"watch":true' : ""}}\n`;
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
