// Time for the queue's shell: the instant to pass to the core, and the one timer primitive that
// everything waiting in the shell uses (the core's next wake-up, shutdown's grace, the hello
// timeout), so tests can drive all of it with a clock they move by hand.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `run` once, `ms` from now, unless cancelled first. */
  after(ms: number, run: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, run) {
    const handle = setTimeout(run, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};

interface ManualTimer {
  at: number;
  run: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; `advance` runs the timers that fall due, in time order. */
export class ManualClock implements Clock {
  private timers: ManualTimer[] = [];

  constructor(private at = 1_000_000) {}

  now(): number {
    return this.at;
  }

  after(ms: number, run: () => void): Timer {
    const timer: ManualTimer = { at: this.at + Math.max(0, ms), run, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  advance(ms: number): void {
    const until = this.at + ms;
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.at = Math.max(this.at, due.at);
      due.cancelled = true;
      due.run();
    }
    this.at = until;
  }

  /** Timers armed and not yet run or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }
}
