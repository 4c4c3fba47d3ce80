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
  /** Job types its last fetch asked to pass over (it has no handler for them). */
  skipTypes: ReadonlySet<string> | undefined = undefined;
  /** Round-robin position among `queues`, so no queue starves the others. */
  cursor = 0;
  lastSeenAt: number;
  /** When silence is next checked; the deadline heap's key. */
  deadlineAt: number;
  heapIndex = -1;
  /** It withdrew its fetches (as a worker does before it stops) and has not fetched since. */
  saidGoodbye = false;
  /** The connection it said hello on; effects for this worker go there. */
  connectionId: ConnectionId | undefined;
  /** The secret a liveness connection names to keep this session alive; new with every hello. */
  livenessToken: string | undefined = undefined;
  /** The session's liveness connection, once one bound: its beats count, and abandons go there too. */
  livenessConnectionId: ConnectionId | undefined = undefined;

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

  /** Where an abandon for this worker goes: the connection it said hello on, and its liveness connection. */
  address(): { workerId: string; connectionId: ConnectionId | undefined; livenessConnectionId: ConnectionId | undefined } {
    return { workerId: this.id, connectionId: this.connectionId, livenessConnectionId: this.livenessConnectionId };
  }

  get waiting(): boolean {
    return this.waiterNodes !== undefined;
  }
}
