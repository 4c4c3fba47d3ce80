// Whether the event loop has room to wait for the disk itself. With fsync `always`, a write done
// on the loop (blocked until its O_DSYNC write returns) saves the two thread wake-ups of a write
// through the thread pool, the hand-off and the completion, each as dear as a loopback write on
// a small virtual machine; but while the loop is blocked it serves no one. So the loop writes
// itself only while it was idle at least as long as it was busy (its own writes not counted)
// since it last asked: a queue under load writes through the pool and keeps serving (workload
// A), one that waits for its next request writes in place (B, one awaited submit at a time).
import { performance } from "node:perf_hooks";

export class LoopSlack {
  private idleMs: number;
  private activeMs: number;
  private blockedMs = 0;

  constructor() {
    ({ idle: this.idleMs, active: this.activeMs } = performance.eventLoopUtilization());
  }

  /** Whether the loop was idle at least as long as it was busy since the last call. */
  roomToBlock(): boolean {
    const { idle, active } = performance.eventLoopUtilization();
    const idleMs = idle - this.idleMs;
    const busyMs = active - this.activeMs - this.blockedMs;
    this.idleMs = idle;
    this.activeMs = active;
    this.blockedMs = 0;
    return idleMs >= busyMs;
  }

  /** The loop spent `ms` blocked in a write of its own: not load, and not to count as such. */
  blocked(ms: number): void {
    this.blockedMs += ms;
  }
}
