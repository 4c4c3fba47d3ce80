// With the journal on, a reply may leave only once the records of the turn that produced it are
// on disk. Each turn that recorded something opens an epoch; output is tagged, at the end of its
// turn, with the newest epoch, and written once that epoch is durable. Epochs become durable in
// order (the appender's batches resolve in order), so one number says what may go. Each epoch
// not yet durable is checked against the appender directly, by the sequence number after its
// last record: a write done in place (fsync `interval`) is known at once, before the promise
// that says so runs, and one write covering several epochs (group commit) frees them all in the
// first of their promises, so a connection held at several of them is written to once.
import type { Durable } from "./journal/index.js";

/** The appender's own account of what is durable. */
export interface DurableRecords {
  isDurableBelow(seq: number): boolean;
}

export class DurabilityGate {
  private opened = 0;
  /** For each epoch after durableUpTo, oldest first: the sequence number after its last record. */
  private readonly endSeqs: number[] = [];
  private durableUpTo = 0;
  private failed: string | undefined;
  private lastHeld: Promise<Durable> | undefined;
  /** What runs once an epoch is durable, by epoch: first what a peer waits on, then the rest. */
  private readonly awaitedWaiters = new Map<number, (() => void)[]>();
  private readonly otherWaiters = new Map<number, (() => void)[]>();

  /** The epoch output produced so far must wait for. Once the journal failed, nothing more is
   * recorded, so later output waits for nothing (output of the failed epochs is never written). */
  get required(): number {
    return this.failed === undefined ? this.opened : this.durableUpTo;
  }

  constructor(private readonly records: DurableRecords) {}

  isDurable(epoch: number): boolean {
    if (epoch <= this.durableUpTo) return true;
    this.advance();
    return epoch <= this.durableUpTo;
  }

  /** Why held output will never be released, once a batch failed. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** A turn's records were appended, numbered below `endSeq`: output from now on waits for
   * `durable`. The requests of one turn share one batch, so they share one epoch too. */
  hold(durable: Promise<Durable>, endSeq: number): void {
    if (durable === this.lastHeld) {
      this.endSeqs[this.endSeqs.length - 1] = endSeq;
      return;
    }
    this.lastHeld = durable;
    const epoch = ++this.opened;
    this.endSeqs.push(endSeq);
    void durable.then((outcome) => {
      if (!outcome.ok) {
        this.failed ??= outcome.message;
        this.fireAll();
        return;
      }
      this.advance();
      if (epoch > this.durableUpTo) this.markDurable(epoch);
      this.runDurable(this.awaitedWaiters);
      this.runDurable(this.otherWaiters);
    });
  }

  /**
   * Runs `run` once `epoch` is durable, or once the journal failed (`failure` then says why).
   * `awaited`: whether a peer waits on what `run` writes to go on (a client's `submitted`); when
   * a batch becomes durable these run before the others (a worker's acks), so that a write to a
   * peer that can wait, and that peer's wake-up, do not come first.
   */
  whenDurable(epoch: number, run: () => void, awaited = true): void {
    if (this.isDurable(epoch) || this.failed !== undefined) {
      run();
      return;
    }
    const waiters = awaited ? this.awaitedWaiters : this.otherWaiters;
    const runs = waiters.get(epoch);
    if (runs === undefined) waiters.set(epoch, [run]);
    else runs.push(run);
  }

  /** Takes in every epoch whose records the appender has made durable. */
  private advance(): void {
    let durable = 0;
    while (durable < this.endSeqs.length && this.records.isDurableBelow(this.endSeqs[durable] as number)) durable += 1;
    if (durable > 0) this.markDurable(this.durableUpTo + durable);
  }

  private markDurable(epoch: number): void {
    this.endSeqs.splice(0, epoch - this.durableUpTo);
    this.durableUpTo = epoch;
  }

  private runDurable(waiters: Map<number, (() => void)[]>): void {
    for (const [waited, runs] of waiters) {
      if (waited > this.durableUpTo) continue;
      waiters.delete(waited);
      for (const run of runs) run();
    }
  }

  private fireAll(): void {
    const all = [...this.awaitedWaiters.values(), ...this.otherWaiters.values()];
    this.awaitedWaiters.clear();
    this.otherWaiters.clear();
    for (const runs of all) for (const run of runs) run();
  }
}
