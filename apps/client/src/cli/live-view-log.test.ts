import { describe, expect, it } from "vitest";
import { snapshotAt, statsSnapshot } from "../test-support/stats-snapshot.js";
import { eventLine, problemLine, restartLine, summaryLine } from "./live-view-log.js";

describe("watch log lines", () => {
  it("sum up a snapshot in one key=value line", () => {
    expect(summaryLine(statsSnapshot())).toBe(
      "at=2025-01-02T03:04:05.000Z delayed=1 pending=3 running=3 completed=120 failed=2 cancelled=0 " +
        "jobs/s=41.0 jobs/s_1m=5.4 workers=3 busy=2 oldest_pending_ms=1234",
    );
  });

  it("leave out the oldest pending age when nothing is pending", () => {
    expect(summaryLine(statsSnapshot({ oldestPendingAgeMs: undefined }))).toMatch(/ workers=3 busy=2$/);
  });

  it("give each event its job, worker and quoted reason", () => {
    expect(eventLine({ at: snapshotAt, kind: "reassigned", jobId: 17, workerId: "w-1", reason: "worker w-1 disconnected" })).toBe(
      'at=2025-01-02T03:04:05.000Z event=reassigned job=17 worker=w-1 reason="worker w-1 disconnected"',
    );
    expect(eventLine({ at: snapshotAt, kind: "worker-lost", workerId: "w 2", reason: "timeout" })).toBe(
      'at=2025-01-02T03:04:05.000Z event=worker-lost worker="w 2" reason=timeout',
    );
  });

  it("keep a reason with newlines, quotes and escapes on one line", () => {
    const line = eventLine({ at: snapshotAt, kind: "failed", jobId: 3, reason: 'said "no"\n  at x\x1b[31m' });
    expect(line).toBe('at=2025-01-02T03:04:05.000Z event=failed job=3 reason="said \\"no\\"   at x [31m"');
  });

  it("say when a poll failed and when the queue restarted", () => {
    expect(problemLine(snapshotAt, "could not reconnect")).toBe('at=2025-01-02T03:04:05.000Z error="could not reconnect"');
    expect(restartLine(statsSnapshot({ queueRunId: "ffff0000" }))).toBe("at=2025-01-02T03:04:05.000Z event=queue-restarted run=ffff0000");
  });
});
