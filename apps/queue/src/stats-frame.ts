// A `stats` reply kept inside the frame limit. With thousands of workers each running many jobs
// the workers list alone can pass a frame: it is cut where the next worker would not fit, and the
// reply says how many were left out (`workersNotShown`).
import { encodeFrame, type StatsReply } from "@djq/protocol";
import type { FramedPeer } from "./handlers.js";

/** `,"workersNotShown":` and a count at its longest. */
const NOT_SHOWN_FIELD_BYTES = 40;

export function sendStats(peer: FramedPeer, reply: StatsReply, maxFrameBytes: number): void {
  // The common case is one encoding, measured once: a few workers fit any frame worth running.
  const frame = encodeFrame(reply);
  const frameBytes = Buffer.byteLength(frame);
  if (frameBytes <= maxFrameBytes) return peer.sendFrame(frame, frameBytes);
  const workerBytes = reply.workers.map((worker) => Buffer.byteLength(JSON.stringify(worker)) + 1);
  let roomBytes = maxFrameBytes - NOT_SHOWN_FIELD_BYTES - (frameBytes - workerBytes.reduce((sum, bytes) => sum + bytes, 0));
  let shown = 0;
  for (const bytes of workerBytes) {
    if (bytes > roomBytes) break;
    roomBytes -= bytes;
    shown += 1;
  }
  peer.send({ ...reply, workers: reply.workers.slice(0, shown), workersNotShown: reply.workers.length - shown });
}
