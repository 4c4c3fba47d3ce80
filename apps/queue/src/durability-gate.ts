// With the journal on, a reply may leave only once the records of the turn that produced it are
// on disk. Each turn that recorded something opens an epoch; output is tagged, at the end of its
// turn, with the newest epoch, and written once that epoch is durable. Epochs become durable in
// order (the appender's batches resolve in order), so one number says what may go. The newest
// epoch is also checked against the appender directly: a write done in place (fsync `interval`)
// is known at once, before the promise that says so runs.
import type { Durable } from "./journal/index.js";

/** The appender's own account of what is durable. */
export interface DurableRecords {
  isDurableBelow(seq: number): boolean;
}

export class DurabilityGate {
  private opened = 0;
  /** The sequence number after the newest epoch's last record. */
  private openedSeq = 0;
  private durableUpTo = 0;
  private failed: string | undefined;
  private lastHeld: Promise<Durable> | undefined;
  private readonly waiters = new Map<number, (() => void)[]>();

  /** The epoch output produced so far must wait for. Once the journal failed, nothing more is
   * recorded, so later output waits for nothing (output of the failed epochs is never written). */
  get required(): number {
    return this.failed === undefined ? this.opened : this.durableUpTo;
  }

  constructor(private readonly records: DurableRecords) {}

  isDurable(epoch: number): boolean {
    if (epoch <= this.durableUpTo) return true;
    if (epoch !== this.opened || !this.records.isDurableBelow(this.openedSeq)) return false;
    this.durableUpTo = epoch;
    return true;
  }

  /** Why held output will never be released, once a batch failed. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** A turn's records were appended, numbered below `endSeq`: output from now on waits for
   * `durable`. The requests of one turn share one batch, so they share one epoch too. */
  hold(durable: Promise<Durable>, endSeq: number): void {
    this.openedSeq = endSeq;
    if (durable === this.lastHeld) return;
    this.lastHeld = durable;
    const epoch = ++this.opened;
    void durable.then((outcome) => {
      if (!outcome.ok) {
        this.failed ??= outcome.message;
        this.fireAll();
        return;
      }
      if (epoch > this.durableUpTo) this.durableUpTo = epoch;
      for (const [waited, runs] of this.waiters) {
        if (waited > this.durableUpTo) continue;
        this.waiters.delete(waited);
        for (const run of runs) run();
      }
    });
  }

  /** Runs `run` once `epoch` is durable, or once the journal failed (`failure` then says why). */
  whenDurable(epoch: number, run: () => void): void {
    if (this.isDurable(epoch) || this.failed !== undefined) {
      run();
      return;
    }
    const runs = this.waiters.get(epoch);
    if (runs === undefined) this.waiters.set(epoch, [run]);
    else runs.push(run);
  }

  private fireAll(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const runs of all) for (const run of runs) run();
  }
}
