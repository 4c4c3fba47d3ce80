// Who is told when a job settles: the one record of it. Subscribers are the shell's opaque
// connection ids; a closed connection's subscriptions go with it, so nothing is sent to it later
// and nothing is kept for it.
import type { ConnectionId } from "./effects.js";
import { IdTable } from "./id-table.js";

export class Subscriptions {
  /** By job id: one subscriber is the common case, so an array only when there are several. */
  private readonly byJob = new IdTable<ConnectionId | ConnectionId[]>();
  private readonly byConnection = new Map<ConnectionId, Set<number>>();

  get size(): number {
    return this.byJob.size;
  }

  has(jobId: number): boolean {
    return this.byJob.get(jobId) !== undefined;
  }

  add(jobId: number, connectionId: ConnectionId): void {
    const existing = this.byJob.get(jobId);
    if (existing === undefined) this.byJob.set(jobId, connectionId);
    else if (Array.isArray(existing)) {
      if (!existing.includes(connectionId)) existing.push(connectionId);
    } else if (existing !== connectionId) this.byJob.set(jobId, [existing, connectionId]);
    const jobs = this.byConnection.get(connectionId);
    if (jobs === undefined) this.byConnection.set(connectionId, new Set([jobId]));
    else jobs.add(jobId);
  }

  /** Removes and returns the job's subscribers: a job settles once for its watchers. */
  take(jobId: number): ConnectionId | ConnectionId[] | undefined {
    const subscribers = this.byJob.get(jobId);
    if (subscribers === undefined) return undefined;
    this.byJob.delete(jobId);
    if (Array.isArray(subscribers)) for (const connectionId of subscribers) this.forgetOne(connectionId, jobId);
    else this.forgetOne(subscribers, jobId);
    return subscribers;
  }

  dropConnection(connectionId: ConnectionId): void {
    const jobs = this.byConnection.get(connectionId);
    if (jobs === undefined) return;
    this.byConnection.delete(connectionId);
    for (const jobId of jobs) {
      const subscribers = this.byJob.get(jobId);
      if (subscribers === connectionId) this.byJob.delete(jobId);
      else if (Array.isArray(subscribers)) {
        const rest = subscribers.filter((s) => s !== connectionId);
        this.byJob.set(jobId, rest.length === 1 ? (rest[0] as ConnectionId) : rest);
      }
    }
  }

  /** Every subscription as [job id, connection id], from the connections' side; for invariant checks. */
  *pairs(): IterableIterator<[number, ConnectionId]> {
    for (const [connectionId, jobs] of this.byConnection) for (const jobId of jobs) yield [jobId, connectionId];
  }

  /** The subscribers of one job, as the job's side records them. */
  of(jobId: number): readonly ConnectionId[] {
    const subscribers = this.byJob.get(jobId);
    return subscribers === undefined ? [] : Array.isArray(subscribers) ? subscribers : [subscribers];
  }

  private forgetOne(connectionId: ConnectionId, jobId: number): void {
    const jobs = this.byConnection.get(connectionId);
    if (jobs === undefined) return;
    jobs.delete(jobId);
    if (jobs.size === 0) this.byConnection.delete(connectionId);
  }
}
