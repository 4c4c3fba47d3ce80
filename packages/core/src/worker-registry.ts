// Which workers exist and which connections each session is on (the one it said hello on, and
// the liveness connection that keeps it alive): the one record of it. A worker id outlives its
// connections (a quick reconnect keeps its leases), so every key is kept here together.
import type { ConnectionId } from "./effects.js";
import type { WorkerRecord } from "./worker-record.js";

export class WorkerRegistry {
  private readonly byId = new Map<string, WorkerRecord>();
  private readonly byConnection = new Map<ConnectionId, WorkerRecord>();
  private readonly byLivenessConnection = new Map<ConnectionId, WorkerRecord>();

  get size(): number {
    return this.byId.size;
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.byId.get(workerId);
  }

  on(connectionId: ConnectionId): WorkerRecord | undefined {
    return this.byConnection.get(connectionId);
  }

  /** The worker whose session this liveness connection keeps alive. */
  keptAliveBy(connectionId: ConnectionId): WorkerRecord | undefined {
    return this.byLivenessConnection.get(connectionId);
  }

  values(): IterableIterator<WorkerRecord> {
    return this.byId.values();
  }

  add(worker: WorkerRecord): void {
    this.byId.set(worker.id, worker);
    if (worker.connectionId !== undefined) this.byConnection.set(worker.connectionId, worker);
  }

  /**
   * Moves the worker to a new connection; returns the one it was on, if another. The new session
   * starts without a liveness connection: the caller ends the old one's (see unbindLiveness).
   */
  move(worker: WorkerRecord, connectionId: ConnectionId | undefined): ConnectionId | undefined {
    const previous = worker.connectionId;
    if (previous !== undefined) this.byConnection.delete(previous);
    worker.connectionId = connectionId;
    if (connectionId !== undefined) this.byConnection.set(connectionId, worker);
    return previous !== connectionId ? previous : undefined;
  }

  /** Binds the session's liveness connection; returns the one bound before, if any. */
  bindLiveness(worker: WorkerRecord, connectionId: ConnectionId): ConnectionId | undefined {
    const previous = this.unbindLiveness(worker);
    worker.livenessConnectionId = connectionId;
    this.byLivenessConnection.set(connectionId, worker);
    return previous;
  }

  /** Forgets the session's liveness connection; returns it, if one was bound. */
  unbindLiveness(worker: WorkerRecord): ConnectionId | undefined {
    const previous = worker.livenessConnectionId;
    if (previous === undefined) return undefined;
    worker.livenessConnectionId = undefined;
    this.byLivenessConnection.delete(previous);
    return previous;
  }

  remove(worker: WorkerRecord): void {
    this.byId.delete(worker.id);
    if (worker.connectionId !== undefined && this.byConnection.get(worker.connectionId) === worker) {
      this.byConnection.delete(worker.connectionId);
    }
    this.unbindLiveness(worker);
  }

  /** Every liveness binding as [connection id, worker], from the connections' side; for invariant checks. */
  livenessBindings(): IterableIterator<[ConnectionId, WorkerRecord]> {
    return this.byLivenessConnection.entries();
  }
}
