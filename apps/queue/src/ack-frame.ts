// The `ack` to a batch of reports, kept inside the frame limit. A refusal's code is what a worker
// acts on; its message is advisory, so when the messages would take the ack past the frame, the
// ones that do not fit are sent empty. The batch limit (maxReportsPerMessage) makes sure the
// code-only refusals always fit.
import { CODE_ONLY_REFUSAL_MAX_BYTES, type Ack, type Refusal, type RequestId } from "@djq/protocol";

/** `{"id":…,"type":"ack","refused":[]}` and the newline around a numeric id at its longest. */
const ENVELOPE_BYTES = 64;
/** The characters of a message escaped at their longest in JSON (`\u001f`). */
const ESCAPED_CHAR_BYTES = 6;

export function ackWithin(id: RequestId, refused: Refusal[], maxFrameBytes: number): Ack {
  // The common case (no refusals, or a few with short messages) fits without measuring anything.
  let boundBytes = ENVELOPE_BYTES + (typeof id === "string" ? id.length * ESCAPED_CHAR_BYTES : 0);
  for (const refusal of refused) boundBytes += CODE_ONLY_REFUSAL_MAX_BYTES + refusal.message.length * ESCAPED_CHAR_BYTES;
  if (boundBytes <= maxFrameBytes) return { id, type: "ack", refused };
  const codeOnly = refused.map(({ jobId, code }) => ({ jobId, code, message: "" }));
  let roomBytes = maxFrameBytes - Buffer.byteLength(JSON.stringify({ id, type: "ack", refused: codeOnly })) - 1;
  // Messages go back in order while they fit; the rest stay empty (the log keeps every one).
  for (const [index, refusal] of refused.entries()) {
    const messageBytes = Buffer.byteLength(JSON.stringify(refusal.message)) - 2;
    if (messageBytes > roomBytes) continue;
    codeOnly[index] = refusal;
    roomBytes -= messageBytes;
  }
  return { id, type: "ack", refused: codeOnly };
}
