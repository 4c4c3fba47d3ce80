// How many reports (complete, fail, release) one message may name at a frame size: as many as the
// queue's `ack` can refuse in one frame with code-only refusals (an empty message), so the ack to
// any batch fits the frame the queue announced. The queue refuses a larger batch whole; the worker
// library never builds one.
import { errorCodes } from "./error-codes.js";
import { MAX_JOBS_PER_MESSAGE } from "./limits.js";
import { MAX_REQUEST_ID_CHARS } from "./request-id.js";

/** `{"id":…,"type":"ack","refused":[]}` and the newline, with a string id of escaped characters at its longest. */
export const ACK_ENVELOPE_MAX_BYTES = `{"id":"","type":"ack","refused":[]}\n`.length + MAX_REQUEST_ID_CHARS * 6;
/** A job id's JSON at its longest: any integer the schema accepts encodes in at most these characters. */
const LONGEST_JOB_ID_JSON = "1.7976931348623157e+308";
/** One refusal with an empty message, its id and code at their longest, and the comma after it. */
export const CODE_ONLY_REFUSAL_MAX_BYTES =
  `{"jobId":${LONGEST_JOB_ID_JSON},"code":"","message":""},`.length + Math.max(...errorCodes.map((code) => code.length));

export function maxReportsPerMessage(maxFrameBytes: number): number {
  const fit = Math.floor((maxFrameBytes - ACK_ENVELOPE_MAX_BYTES) / CODE_ONLY_REFUSAL_MAX_BYTES);
  return Math.min(MAX_JOBS_PER_MESSAGE, Math.max(1, fit));
}
