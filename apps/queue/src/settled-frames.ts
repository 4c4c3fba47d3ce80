// `settled` notices for one watcher, cut into as many frames as their results need: a client
// watching a thousand jobs with large results gets several lines, none past the frame limit.
import { encodeFrame, type SettledJob } from "@djq/protocol";
import type { FramedPeer } from "./handlers.js";

const ENVELOPE_BYTES = 64;
/** A settled job's id, state and punctuation at their longest. */
const SETTLED_JOB_BYTES = 120;

export function sendSettled(connection: FramedPeer, jobs: SettledJob[], maxFrameBytes: number, maxResultBytes: number): void {
  // The common case fits whatever the results hold: one encoding, no measuring.
  let boundBytes = ENVELOPE_BYTES;
  for (const job of jobs) {
    boundBytes += SETTLED_JOB_BYTES + (job.error === undefined ? 0 : job.error.length * 3) + (job.result === undefined ? 0 : maxResultBytes);
  }
  if (boundBytes <= maxFrameBytes) {
    connection.send({ type: "settled", jobs });
    return;
  }
  let batch: SettledJob[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const job of jobs) {
    const jobBytes = Buffer.byteLength(JSON.stringify(job)) + 1;
    if (batch.length > 0 && bytes + jobBytes > maxFrameBytes) {
      connection.sendFrame(encodeFrame({ type: "settled", jobs: batch }));
      batch = [];
      bytes = ENVELOPE_BYTES;
    }
    batch.push(job);
    bytes += jobBytes;
  }
  connection.sendFrame(encodeFrame({ type: "settled", jobs: batch }));
}
