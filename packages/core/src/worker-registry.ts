// Which workers exist and which connection each is on: the one record of it. A worker id outlives
// its connection (a quick reconnect keeps its leases), so both keys are kept here together.
import type { ConnectionId } from "./effects.js";
import type { WorkerRecord } from "./worker-record.js";

export class WorkerRegistry {
  private readonly byId = new Map<string, WorkerRecord>();
  private readonly byConnection = new Map<ConnectionId, WorkerRecord>();

  get size(): number {
    return this.byId.size;
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.byId.get(workerId);
  }

  on(connectionId: ConnectionId): WorkerRecord | undefined {
    return this.byConnection.get(connectionId);
  }

  values(): IterableIterator<WorkerRecord> {
    return this.byId.values();
  }

  add(worker: WorkerRecord): void {
    this.byId.set(worker.id, worker);
    if (worker.connectionId !== undefined) this.byConnection.set(worker.connectionId, worker);
  }

  /** Moves the worker to a new connection; returns the one it was on, if another. */
  move(worker: WorkerRecord, connectionId: ConnectionId | undefined): ConnectionId | undefined {
    const previous = worker.connectionId;
    if (previous !== undefined) this.byConnection.delete(previous);
    worker.connectionId = connectionId;
    if (connectionId !== undefined) this.byConnection.set(connectionId, worker);
    return previous !== connectionId ? previous : undefined;
  }

  remove(worker: WorkerRecord): void {
    this.byId.delete(worker.id);
    if (worker.connectionId !== undefined && this.byConnection.get(worker.connectionId) === worker) {
      this.byConnection.delete(worker.connectionId);
    }
  }
}
