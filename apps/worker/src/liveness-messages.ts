// What the worker's main thread and its liveness thread tell each other, and the one fact they
// share in memory: when the main event loop last turned. A stamp in a SharedArrayBuffer is read
// by the thread at any time, even while the main loop is blocked and can answer no message.
import type { Endpoint } from "@djq/runtime";

export interface LivenessThreadData {
  /** The queue's IP address (never a name: no dns lookups in the thread). */
  endpoint: Endpoint;
  /** Int32 [0]: ms since `originAt` at the main loop's last turn. */
  loopStamp: SharedArrayBuffer;
  originAt: number;
  stuckLoopKillMs: number;
}

/** Main → thread, once: the session to keep alive. */
export interface LivenessBinding {
  workerId: string;
  livenessToken: string;
  secret?: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Unanswered beats for this long mean the queue is gone. */
  silenceMs: number;
}

/** Thread → main. */
export type LivenessReport = { type: "bound" } | { type: "lost"; reason: string };

export function newLoopStamp(): { loopStamp: SharedArrayBuffer; originAt: number } {
  return { loopStamp: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT), originAt: Date.now() };
}

export function stampMainLoopTurn(data: Pick<LivenessThreadData, "loopStamp" | "originAt">): void {
  Atomics.store(new Int32Array(data.loopStamp), 0, Date.now() - data.originAt);
}

/** Date.now() of the main loop's last turn. */
export function mainLoopTurnedAt(data: Pick<LivenessThreadData, "loopStamp" | "originAt">): number {
  return data.originAt + Atomics.load(new Int32Array(data.loopStamp), 0);
}
