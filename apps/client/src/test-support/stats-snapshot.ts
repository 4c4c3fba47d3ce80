// One fixed stats snapshot for the `watch` rendering tests: three workers (one running
// two jobs, one idle), two queues (one paused), a minute of throughput and three recent events.
import type { StatsSnapshot } from "../client.js";

export const snapshotAt = Date.UTC(2025, 0, 2, 3, 4, 5);
const at = snapshotAt;
const zero = { delayed: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };

export function statsSnapshot(overrides: Partial<StatsSnapshot> = {}): StatsSnapshot {
  return {
    at,
    queueRunId: "1a2b3c4d",
    counts: { delayed: 1, pending: 3, running: 3, completed: 120, failed: 2, cancelled: 0 },
    totals: { submitted: 129, completed: 120, failed: 2, cancelled: 0, reassigned: 1, retried: 3, staleRefused: 0 },
    queues: {
      default: { counts: { ...zero, pending: 2, running: 2, completed: 100, failed: 2 }, paused: false },
      mail: { counts: { ...zero, delayed: 1, pending: 1, running: 1, completed: 20 }, paused: true },
    },
    workers: [
      {
        workerId: "w-1",
        queues: ["default"],
        connectedAt: at - 60_000,
        lastSeenAt: at - 300,
        waiting: false,
        running: [{ jobId: 17, lease: 21, attempt: 1, startedAt: at - 1_200, progress: { percent: 45, message: "copying" } }],
      },
      {
        workerId: "w-2",
        queues: ["default", "mail"],
        connectedAt: at - 60_000,
        lastSeenAt: at - 1_100,
        waiting: false,
        running: [
          { jobId: 18, lease: 22, attempt: 2, startedAt: at - 400 },
          { jobId: 19, lease: 23, attempt: 1, startedAt: at - 50, progress: { percent: 99.6 } },
        ],
      },
      { workerId: "w-3", queues: ["default"], connectedAt: at - 5_000, lastSeenAt: at - 200, waiting: true, running: [] },
    ],
    // 50 idle seconds, 9 busy ones, then the second the snapshot was taken in (still filling).
    completedPerSecond: [...Array<number>(50).fill(0), 10, 20, 30, 40, 50, 45, 42, 40, 41, 7],
    oldestPendingAgeMs: 1_234,
    memory: { heldBytes: 52_000, limitBytes: 1_073_741_824 },
    recent: [
      { at: at - 4_000, kind: "reassigned", jobId: 17, workerId: "w-0", reason: "worker w-0 disconnected" },
      { at: at - 2_500, kind: "retry-scheduled", jobId: 12, reason: "attempt 1 failed: boom; retry in 200 ms" },
      { at: at - 1_000, kind: "failed", jobId: 9, reason: "attempts exhausted: disk full" },
    ],
    ...overrides,
  };
}
