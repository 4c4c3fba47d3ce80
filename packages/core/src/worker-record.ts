// What the core knows of one worker: the queues it serves, the jobs it holds, its unanswered
// fetches and when it was last heard from. Keyed by the worker's own id, which survives
// reconnects, so a worker that comes back quickly keeps the leases it still works on.
import type { ConnectionId } from "./effects.js";
import type { JobRecord } from "./job-record.js";
import type { NamedQueue, WaiterNode } from "./named-queue.js";

export interface PendingFetch {
  /** The request id the answer must echo; opaque to the core. */
  readonly requestId: unknown;
  readonly max: number;
}

export class WorkerRecord {
  readonly running = new Set<JobRecord>();
  readonly fetches: PendingFetch[] = [];
  /** Set while the worker is in its queues' waiting lines. */
  waiterNodes: WaiterNode[] | undefined = undefined;
  /** Round-robin position among `queues`, so no queue starves the others. */
  cursor = 0;
  lastSeenAt: number;
  /** When silence is next checked; the deadline heap's key. */
  deadlineAt: number;
  heapIndex = -1;
  /** The connection it said hello on; effects for this worker go there. */
  connectionId: ConnectionId | undefined;

  constructor(
    readonly id: string,
    public queues: NamedQueue[],
    readonly connectedAt: number,
    heartbeatTimeoutMs: number,
    connectionId: ConnectionId | undefined,
  ) {
    this.connectionId = connectionId;
    this.lastSeenAt = connectedAt;
    this.deadlineAt = connectedAt + heartbeatTimeoutMs;
  }

  get waiting(): boolean {
    return this.waiterNodes !== undefined;
  }
}
