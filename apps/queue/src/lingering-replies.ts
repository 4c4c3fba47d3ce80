// Replies a worker does not wait on to go on with its work (the `ack` of its reports) may linger
// a moment for company: a worker with a fetch open gets an `assign` as soon as a job comes, and the
// two then leave in one write and wake the worker once instead of twice. One timer serves every
// lingering connection, on the queue's clock.
import type { Clock, Timer } from "./clock.js";

/** The longest a reply lingers: a report's ack reaches its worker at most this much later. */
export const LINGER_MS = 1;

export interface Lingerer {
  /** The linger is over: write what lingered, if it is still waiting. */
  endLinger(): void;
}

export class LingeringReplies {
  private readonly waiting = new Set<Lingerer>();
  private timer: Timer | undefined;

  constructor(private readonly clock: Clock) {}

  add(lingerer: Lingerer): void {
    this.waiting.add(lingerer);
    this.timer ??= this.clock.after(LINGER_MS, this.expire);
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const due = [...this.waiting];
    this.waiting.clear();
    for (const lingerer of due) lingerer.endLinger();
  };
}
