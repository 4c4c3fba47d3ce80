// The queue's only source of time. The core never reads a clock; the broker reads this one
// and passes the instant in, so tests can substitute a clock they move by hand.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private at = 1_000_000) {}

  now(): number {
    return this.at;
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
