// The queue's `recent` list (reassignments, failures, retries, timeouts, lost workers) is a window:
// each stats reply repeats what the last one held, minus the oldest, plus what happened since.
// Events carry no id, so RecentEventFeed finds where the previous window ends inside the new one
// and hands out only what comes after it: a log of `watch` prints every event once.
import type { RecentEvent } from "@djq/protocol";

export interface EventWindow {
  queueRunId: string;
  recent: readonly RecentEvent[];
}

export class RecentEventFeed {
  private runId: string | undefined;
  private previous: readonly RecentEvent[] = [];

  /** The events in `window` that no earlier call returned, oldest first. */
  take(window: EventWindow): RecentEvent[] {
    // A restarted queue starts an empty list: nothing in it was seen before.
    const previous = window.queueRunId === this.runId ? this.previous : [];
    this.runId = window.queueRunId;
    this.previous = window.recent;
    return window.recent.slice(overlap(previous, window.recent));
  }
}

/**
 * How many events at the start of `current` are the last ones of `previous`: the longest tail of
 * `previous` that `current` begins with. Zero when the window moved on by more than its length.
 */
function overlap(previous: readonly RecentEvent[], current: readonly RecentEvent[]): number {
  for (let start = Math.max(0, previous.length - current.length); start < previous.length; start += 1) {
    const length = previous.length - start;
    let same = true;
    for (let i = 0; i < length && same; i += 1) same = sameEvent(previous[start + i] as RecentEvent, current[i] as RecentEvent);
    if (same) return length;
  }
  return 0;
}

function sameEvent(a: RecentEvent, b: RecentEvent): boolean {
  return a.at === b.at && a.kind === b.kind && a.jobId === b.jobId && a.workerId === b.workerId && a.reason === b.reason;
}
