// The requests every job brings (submit, fetch, complete, heartbeat), checked by hand in their
// common shapes, because the schemas' general machinery costs more per message than the rest of a
// job's way through the queue. It may only say yes: a value it accepts is one the schema accepts,
// unchanged (a strict schema copies every field as it is) and nested no deeper than MAX_JSON_DEPTH
// (only a payload or a result can be: the rest of these shapes is fixed); anything else, doubtful
// shapes included, goes to the schema, so refusals and their messages stay the schema's alone.
import { jobFieldNestsDeeperThan } from "./json-depth.js";
import { MAX_ATTEMPTS, MAX_DELAY_MS, MAX_DURATION_MS, MAX_FETCH, MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, MAX_JSON_DEPTH, MAX_PRIORITY, MAX_TIMEOUT_MS, MIN_PRIORITY } from "./limits.js";
import { MAX_NAME_CHARS, MAX_RUN_AT, namePattern } from "./job.js";
import type { JobSpec } from "./job.js";
import type { Request } from "./requests.js";
import { MAX_REQUEST_ID_CHARS, type RequestId } from "./request-id.js";

type Fields = Record<string, unknown>;

/** The request itself when it is a submit, fetch, complete or heartbeat the schema surely accepts; else undefined. */
export function acceptHotRequest(record: Fields): Request | undefined {
  switch (record.type) {
    case "submit":
      return isSubmit(record) ? (record as Request) : undefined;
    case "complete":
      return isComplete(record) ? (record as Request) : undefined;
    case "fetch":
      return isFetch(record) ? (record as Request) : undefined;
    case "heartbeat":
      return hasOnly(record, 2) && isRequestId(record.id) ? (record as Request) : undefined;
    default:
      return undefined;
  }
}

/**
 * The schema's RequestId, for the values that surely pass it. The schema counts a string's code
 * points, we count its UTF-16 units (never fewer), so a long id of emoji is left to the schema.
 */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" ? value.length >= 1 && value.length <= MAX_REQUEST_ID_CHARS : isIntIn(value, 0, Number.MAX_SAFE_INTEGER);
}

/** zod's int(): a safe integer, so NaN, infinities and fractions are out. */
export function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max;
}

export function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Exactly `count` own keys, every one holding a defined value: with the named fields checked, nothing else is there. */
export function hasOnly(record: Fields, count: number): boolean {
  let keys = 0;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || record[key] === undefined) return false;
    keys += 1;
  }
  return keys === count;
}

/** The number of `record`'s own keys, all in `allowed` and defined; -1 when one is not. */
export function countAllowed(record: Fields, allowed: ReadonlySet<string>): number {
  let keys = 0;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || !allowed.has(key) || record[key] === undefined) return -1;
    keys += 1;
  }
  return keys;
}

// {"id":4,"type":"fetch","max":1}   (with skipTypes it goes to the schema)
function isFetch(record: Fields): boolean {
  return hasOnly(record, 3) && isRequestId(record.id) && isIntIn(record.max, 1, MAX_FETCH);
}

const completedJobFields: ReadonlySet<string> = new Set(["jobId", "lease", "result"]);

// {"id":6,"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
function isComplete(record: Fields): boolean {
  if (!hasOnly(record, 3) || !isRequestId(record.id) || !isJobList(record.jobs)) return false;
  for (const job of record.jobs) {
    if (!isObject(job) || countAllowed(job, completedJobFields) < 0) return false;
    if (!isIntIn(job.jobId, 1, Number.MAX_SAFE_INTEGER) || !isIntIn(job.lease, 1, Number.MAX_SAFE_INTEGER)) return false;
    if (jobFieldNestsDeeperThan(job.result, MAX_JSON_DEPTH)) return false;
  }
  return true;
}

function isJobList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length >= 1 && value.length <= MAX_JOBS_PER_MESSAGE;
}

const submitFields: ReadonlySet<string> = new Set(["id", "type", "jobs", "key", "watch"]);

// {"id":2,"type":"submit","jobs":[{"type":"email","payload":{"to":"ada@example.com"}}],"key":"k1"}
function isSubmit(record: Fields): boolean {
  if (countAllowed(record, submitFields) < 0 || !isRequestId(record.id) || !isJobList(record.jobs)) return false;
  const { key, watch } = record;
  if (key !== undefined && !(typeof key === "string" && key.length >= 1 && key.length <= MAX_ID_CHARS)) return false;
  if (watch !== undefined && typeof watch !== "boolean") return false;
  for (const job of record.jobs) if (!isJobSpec(job) || jobFieldNestsDeeperThan(job.payload, MAX_JSON_DEPTH)) return false;
  return true;
}

const jobSpecFields: ReadonlySet<string> = new Set(["queue", "type", "durationMs", "payload", "priority", "delayMs", "runAt", "timeoutMs", "maxAttempts"]);

export function isName(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_NAME_CHARS && namePattern.test(value);
}

/** A job spec the JobSpec schema surely accepts as it is (it may only say yes, like the rest here). */
export function isJobSpec(job: unknown): job is JobSpec {
  if (!isObject(job) || countAllowed(job, jobSpecFields) < 0) return false;
  const optionalInt = (value: unknown, min: number, max: number) => value === undefined || isIntIn(value, min, max);
  return (
    (job.queue === undefined || isName(job.queue)) &&
    (job.type === undefined || isName(job.type)) &&
    optionalInt(job.durationMs, 0, MAX_DURATION_MS) &&
    optionalInt(job.priority, MIN_PRIORITY, MAX_PRIORITY) &&
    optionalInt(job.delayMs, 0, MAX_DELAY_MS) &&
    optionalInt(job.runAt, 0, MAX_RUN_AT) &&
    optionalInt(job.timeoutMs, 1, MAX_TIMEOUT_MS) &&
    optionalInt(job.maxAttempts, 1, MAX_ATTEMPTS)
  );
}
