// The queue's replies every job brings to a client or a worker (submitted, assign, an ack with
// nothing refused, heartbeat, and settled for a client that watches), checked by hand in their common shapes, as the queue checks the hot
// requests (hot-requests.ts), and on the same terms: it may only say yes, for a value the schema
// accepts and would copy unchanged (no field the schema would strip); anything else goes to the schema.
import { isIntIn, isName, isObject, hasOnly, countAllowed, isRequestId } from "./hot-requests.js";
import type { ServerMessage } from "./server-messages.js";

type Fields = Record<string, unknown>;

/** The message itself when it is one of the hot replies the schema surely accepts unchanged; else undefined. */
export function acceptHotServerMessage(value: unknown): ServerMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "submitted":
      return hasOnly(value, 3) && isRequestId(value.id) && isIdList(value.jobIds) ? (value as ServerMessage) : undefined;
    case "assign":
      return hasOnly(value, 3) && isRequestId(value.id) && isAssignments(value.jobs) ? (value as ServerMessage) : undefined;
    case "ack":
      return hasOnly(value, 3) && isRequestId(value.id) && Array.isArray(value.refused) && value.refused.length === 0 ? (value as ServerMessage) : undefined;
    case "heartbeat":
      return hasOnly(value, 2) && isRequestId(value.id) ? (value as ServerMessage) : undefined;
    case "settled":
      return hasOnly(value, 2) && isSettledList(value.jobs) ? (value as ServerMessage) : undefined;
    default:
      return undefined;
  }
}

function isJobId(value: unknown): boolean {
  return isIntIn(value, 1, Number.MAX_SAFE_INTEGER);
}

function isIdList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const id of value) if (!isJobId(id)) return false;
  return true;
}

const settledJobFields: ReadonlySet<string> = new Set(["jobId", "state", "result", "error"]);
const terminalStates: ReadonlySet<unknown> = new Set(["completed", "failed", "cancelled"]);

// {"type":"settled","jobs":[{"jobId":1,"state":"completed","result":"ok"}]}
function isSettledList(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const job of value) {
    if (!isObject(job) || countAllowed(job, settledJobFields) < 0) return false;
    if (!isJobId(job.jobId) || !terminalStates.has(job.state) || (job.error !== undefined && typeof job.error !== "string")) return false;
  }
  return true;
}

const assignmentFields: ReadonlySet<string> = new Set(["jobId", "lease", "attempt", "queue", "type", "durationMs", "payload", "timeoutMs", "maxAttempts"]);
const anyInt = (value: unknown) => isIntIn(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

// {"jobId":1,"lease":1,"attempt":1,"queue":"default","type":"sleep","durationMs":0,"timeoutMs":30000,"maxAttempts":3}
function isAssignments(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const job of value as unknown[]) {
    if (!isObject(job)) return false;
    const fields = job as Fields;
    const count = countAllowed(fields, assignmentFields);
    if (count !== (fields.payload === undefined ? 8 : 9)) return false;
    if (!isJobId(fields.jobId) || !isJobId(fields.lease) || !isIntIn(fields.attempt, 1, Number.MAX_SAFE_INTEGER)) return false;
    if (!isName(fields.queue) || !isName(fields.type) || !isIntIn(fields.durationMs, 0, Number.MAX_SAFE_INTEGER)) return false;
    if (!anyInt(fields.timeoutMs) || !anyInt(fields.maxAttempts)) return false;
  }
  return true;
}
