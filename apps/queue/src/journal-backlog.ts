// What a slow or stalled journal disk would otherwise let grow without end: records appended and
// not yet durable, and the replies held until they are. Past a bound on the two in bytes the queue stops reading
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
  private heldReplyBytes = 0;
  private fullSince: number | undefined;
  private readonly waiting = new Set<WaitsForJournal>();
  /** The batch the last records went into, and their bytes so far. */
  private lastBatch: { durable: Promise<Durable>; bytes: number } | undefined;

  constructor(
    readonly limitBytes: number,
    private readonly log: Logger,
  ) {}

  /** Record bytes appended whose batch is not yet written and synced, and reply bytes held for them. */
  get bytes(): number {
    return this.undurableBytes + this.heldReplyBytes;
  }

  /** Requests from clients and workers wait: the journal holds its limit or more undurable. */
  get full(): boolean {
    return this.bytes >= this.limitBytes;
  }

  /** Every peer's output buffer tells this of the reply bytes it sets aside for the journal and
   * lets go. They go when a batch settles, before the batch's records are counted out (the gate
   * heard of the batch first), so `settled` sees both. */
  readonly heldTally = (deltaBytes: number): void => {
    const wasFull = this.full;
    this.heldReplyBytes += deltaBytes;
    if (!wasFull && this.full) this.nowFull();
  };

  /** The connections waiting now, for the broker to vouch for the workers it is not hearing. */
  get waitingConnections(): ReadonlySet<WaitsForJournal> {
    return this.waiting;
  }

  /** `bytes` of records went into a batch that settles with `durable` (written, or failed). The
   * events of one turn share a batch, and are counted out with it in one callback. */
  appended(bytes: number, durable: Promise<Durable>): void {
    const wasFull = this.full;
    this.undurableBytes += bytes;
    if (!wasFull && this.full) this.nowFull();
    if (this.lastBatch?.durable === durable) {
      this.lastBatch.bytes += bytes;
      return;
    }
    const batch = { durable, bytes };
    this.lastBatch = batch;
    void durable.then(() => this.settled(batch.bytes));
  }

  private nowFull(): void {
    this.fullSince = Date.now();
    this.log.warn("journal.intake-paused", { unwrittenBytes: this.undurableBytes, heldReplyBytes: this.heldReplyBytes, limitBytes: this.limitBytes });
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
    this.log.info("journal.intake-resumed", { waitedMs, unwrittenBytes: this.undurableBytes, heldReplyBytes: this.heldReplyBytes, connections: waiting.length });
    for (const connection of waiting) connection.resumeReading();
  }
}
