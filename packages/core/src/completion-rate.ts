// Completions per whole second over the last minute, for the dashboard's rate chart. Time comes
// in as `now` like everywhere in the core.
export class CompletionRate {
  private readonly buckets = new Array<number>(60).fill(0);
  private second = 0;

  count(now: number): void {
    const second = Math.floor(now / 1000);
    this.roll(second);
    this.buckets[second % 60] = (this.buckets[second % 60] as number) + 1;
  }

  /** Completions in each of the 60 whole seconds up to `now`, oldest first. */
  perSecond(now: number): number[] {
    this.roll(Math.floor(now / 1000));
    const out: number[] = [];
    for (let s = this.second - 59; s <= this.second; s += 1) out.push(this.buckets[((s % 60) + 60) % 60] as number);
    return out;
  }

  private roll(second: number): void {
    if (second <= this.second) return;
    const gap = Math.min(60, second - this.second);
    for (let i = 1; i <= gap; i += 1) this.buckets[(this.second + i) % 60] = 0;
    this.second = second;
  }
}
