// What the worker's main thread and its liveness thread tell each other, and the one fact they
// share in memory: when the main event loop last turned. A stamp in a SharedArrayBuffer is read
// by the thread at any time, even while the main loop is blocked and can answer no message.
import type { Endpoint } from "@djq/runtime";

export interface LivenessThreadData {
  /** The queue's IP address (never a name: no dns lookups in the thread). */
  endpoint: Endpoint;
  /** BigInt64 [0]: Date.now() at the main loop's last turn (64 bits: Atomics, and no wrap-around). */
  loopStamp: SharedArrayBuffer;
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

/** Thread → main. `loop-turned`: after an abandon, the main loop turned within stuckLoopKillMs. */
export type LivenessReport = { type: "bound" } | { type: "lost"; reason: string } | { type: "loop-turned"; jobId: number; lease: number };

export function newLoopStamp(): SharedArrayBuffer {
  return new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
}

export function stampMainLoopTurn(loopStamp: SharedArrayBuffer): void {
  Atomics.store(new BigInt64Array(loopStamp), 0, BigInt(Date.now()));
}

/** Date.now() of the main loop's last turn. */
export function mainLoopTurnedAt(loopStamp: SharedArrayBuffer): number {
  return Number(Atomics.load(new BigInt64Array(loopStamp), 0));
}
