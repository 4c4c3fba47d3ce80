// What a slow or stalled journal disk would otherwise let grow without end: records appended and
// not yet durable, and the replies waiting for them. Past a bound in bytes the queue stops reading
// requests from clients and workers (each connection checks before every frame it handles, so the
// bound is passed by one request's records at most) and reads them again once the disk has caught
// up below it. It must not stop liveness connections: their beats keep workers alive meanwhile.
import type { Logger } from "@djq/runtime";
import type { Durable } from "./journal/index.js";

/** A connection that stopped handling frames while the backlog was full. */
export interface WaitsForJournal {
  readonly id: number;
  readonly role: string | undefined;
  /** The backlog drained: read and handle frames again. */
  resumeReading(): void;
}

export class JournalBacklog {
  private undurableBytes = 0;
  private fullSince: number | undefined;
  private readonly waiting = new Set<WaitsForJournal>();

  constructor(
    readonly limitBytes: number,
    private readonly log: Logger,
  ) {}

  /** Record bytes appended whose batch is not yet written and synced. */
  get bytes(): number {
    return this.undurableBytes;
  }

  /** Requests from clients and workers wait: the journal holds its limit or more undurable. */
  get full(): boolean {
    return this.undurableBytes >= this.limitBytes;
  }

  /** The connections waiting now, for the broker to vouch for the workers it is not hearing. */
  get waitingConnections(): ReadonlySet<WaitsForJournal> {
    return this.waiting;
  }

  /** `bytes` of records went into a batch that settles with `durable` (written, or failed). */
  appended(bytes: number, durable: Promise<Durable>): void {
    const wasFull = this.full;
    this.undurableBytes += bytes;
    if (!wasFull && this.full) {
      this.fullSince = Date.now();
      this.log.warn("journal.intake-paused", { unwrittenBytes: this.undurableBytes, limitBytes: this.limitBytes });
    }
    void durable.then(() => this.settled(bytes));
  }

  /** Stops `connection` until the backlog drains below its limit. */
  wait(connection: WaitsForJournal): void {
    this.waiting.add(connection);
  }

  /** A closed connection waits for nothing. */
  forget(connection: WaitsForJournal): void {
    this.waiting.delete(connection);
  }

  private settled(bytes: number): void {
    this.undurableBytes -= bytes;
    if (this.full || this.fullSince === undefined) return;
    const waitedMs = Date.now() - this.fullSince;
    this.fullSince = undefined;
    const waiting = [...this.waiting];
    this.waiting.clear();
    this.log.info("journal.intake-resumed", { waitedMs, unwrittenBytes: this.undurableBytes, connections: waiting.length });
    for (const connection of waiting) connection.resumeReading();
  }
}
