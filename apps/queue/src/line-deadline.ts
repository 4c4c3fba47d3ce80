// A line, once started, must be finished within a time bound, before hello and after it: a
// peer that trickles bytes without a newline (slowloris) is closed instead of held forever.
// One timer per connection, armed only while a line is open and re-armed lazily, so ordinary
// traffic whose lines straddle packets costs no timer per packet. It runs on the queue's clock.
import type { Clock, Timer } from "./clock.js";

export class LineDeadline {
  private openedAt: number | undefined;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onExpired: () => void,
  ) {}

  /** Called after each chunk with the bytes still waiting for their newline. */
  update(partialBytes: number): void {
    if (partialBytes === 0) {
      this.openedAt = undefined;
      return;
    }
    if (this.openedAt !== undefined) return;
    this.openedAt = this.clock.now();
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.openedAt = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.after(delayMs, () => {
      this.timer = undefined;
      if (this.openedAt === undefined) return;
      const leftMs = this.openedAt + this.timeoutMs - this.clock.now();
      if (leftMs <= 0) this.onExpired();
      else this.arm(leftMs);
    });
  }
}
