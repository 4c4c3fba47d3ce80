// With the journal on, a reply or an assign may leave only once the records of the turn that
// produced it are on disk. Each turn that recorded something opens an epoch; output is tagged, at
// the end of its turn, with the newest epoch, and written once that epoch is durable. Epochs become
// durable in order (the appender's batches resolve in order), so one number says what may go.
import type { Durable } from "./journal/index.js";

export class DurabilityGate {
  private opened = 0;
  private durableUpTo = 0;
  private failed: string | undefined;
  private lastHeld: Promise<Durable> | undefined;
  private readonly waiters = new Map<number, (() => void)[]>();

  /** The epoch output produced so far must wait for. Once the journal failed, nothing more is
   * recorded, so later output waits for nothing (output of the failed epochs is never written). */
  get required(): number {
    return this.failed === undefined ? this.opened : this.durableUpTo;
  }

  isDurable(epoch: number): boolean {
    return epoch <= this.durableUpTo;
  }

  /** Why held output will never be released, once a batch failed. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** A turn's records were appended: output from now on waits for `durable`. The requests of one
   * turn share one batch, so they share one epoch too. */
  hold(durable: Promise<Durable>): void {
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
