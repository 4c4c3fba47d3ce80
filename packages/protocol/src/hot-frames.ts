// The frames of the messages every job brings, written out by hand: the queue's submitted,
// assign, ack with nothing refused and settled, and a worker's complete and fetch. JSON.stringify
// walks a small object in a few hundred nanoseconds, several times per job in every process,
// where a template takes a tenth of that. Each must be the very text encodeFrame makes of the
// same message (property-tested); every other message is encodeFrame's. Values of no fixed shape
// (a payload, a result) still go through JSON.stringify.
import { encodeFrame } from "./framing.js";
import type { Assignment } from "./job.js";
import type { RequestBody } from "./replies.js";
import type { RequestId } from "./request-id.js";
import type { ServerMessage, SettledJob } from "./server-messages.js";
import type { CompletedJob } from "./worker-messages.js";

/** The message's frame, newline included: the same text as encodeFrame(message). */
export function encodeServerFrame(message: ServerMessage): string {
  switch (message.type) {
    case "submitted":
      return `{"id":${idJson(message.id)},"type":"submitted","jobIds":[${listJson(message.jobIds, numberJson)}]}\n`;
    case "ack":
      if (message.refused.length > 0) break;
      return `{"id":${idJson(message.id)},"type":"ack","refused":[]}\n`;
    case "assign":
      return `{"id":${idJson(message.id)},"type":"assign","jobs":[${listJson(message.jobs, assignmentJson)}]}\n`;
    case "settled":
      return `{"type":"settled","jobs":[${listJson(message.jobs, settledJobJson)}]}\n`;
  }
  return encodeFrame(message);
}

/** The request's frame with this id, newline included: the same text as encodeFrame({ id, ...body }). */
export function encodeRequestFrame(id: RequestId, body: RequestBody): string {
  switch (body.type) {
    case "complete":
      return `{"id":${idJson(id)},"type":"complete","jobs":[${listJson(body.jobs, completedJobJson)}]}\n`;
    case "fetch": {
      const skipTypes = body.skipTypes === undefined ? "" : `,"skipTypes":${JSON.stringify(body.skipTypes)}`;
      return `{"id":${idJson(id)},"type":"fetch","max":${numberJson(body.max)}${skipTypes}}\n`;
    }
  }
  return encodeFrame({ id, ...body });
}

// {"jobId":1,"lease":1,"result":"ok"}
function completedJobJson(job: CompletedJob): string {
  const result = job.result === undefined ? undefined : JSON.stringify(job.result);
  return `{"jobId":${numberJson(job.jobId)},"lease":${numberJson(job.lease)}${result === undefined ? "" : `,"result":${result}`}}`;
}

// {"jobId":1,"lease":1,"attempt":1,"queue":"default","type":"sleep","durationMs":0,"timeoutMs":30000,"maxAttempts":3}
function assignmentJson(job: Assignment): string {
  const payload = job.payload === undefined ? undefined : JSON.stringify(job.payload);
  return (
    `{"jobId":${numberJson(job.jobId)},"lease":${numberJson(job.lease)},"attempt":${numberJson(job.attempt)},` +
    `"queue":${JSON.stringify(job.queue)},"type":${JSON.stringify(job.type)},"durationMs":${numberJson(job.durationMs)}` +
    `${payload === undefined ? "" : `,"payload":${payload}`},"timeoutMs":${numberJson(job.timeoutMs)},"maxAttempts":${numberJson(job.maxAttempts)}}`
  );
}

// {"jobId":1,"state":"completed","result":"ok"}
function settledJobJson(job: SettledJob): string {
  const result = job.result === undefined ? undefined : JSON.stringify(job.result);
  return (
    `{"jobId":${numberJson(job.jobId)},"state":${JSON.stringify(job.state)}` +
    `${result === undefined ? "" : `,"result":${result}`}${job.error === undefined ? "" : `,"error":${JSON.stringify(job.error)}`}}`
  );
}

function idJson(id: RequestId): string {
  return typeof id === "number" ? numberJson(id) : JSON.stringify(id);
}

/** What JSON.stringify makes of a number: its shortest text, or null for NaN and the infinities. */
function numberJson(n: number): string {
  return Number.isFinite(n) ? `${n}` : "null";
}

/** The items' JSON, comma-separated: what JSON.stringify writes between an array's brackets. */
function listJson<T>(items: readonly T[], json: (item: T) => string): string {
  if (items.length === 1) return json(items[0] as T);
  let text = "";
  for (const item of items) text += text === "" ? json(item) : `,${json(item)}`;
  return text;
}
