import { describe, expect, it } from "vitest";
import { snapshotAt, statsSnapshot } from "../test-support/stats-snapshot.js";
import { renderFrame, shareRows } from "./live-view-frame.js";

const options = { source: "127.0.0.1:7070", intervalMs: 1_000, columns: 100 };

describe("the watch frame", () => {
  it("shows counts, throughput, workers with their jobs, queues and recent events", () => {
    expect(renderFrame(statsSnapshot(), options)).toEqual([
      "djq watch  127.0.0.1:7070  run 1a2b3c4d  2025-01-02T03:04:05.000Z  every 1s",
      "jobs       delayed 1  pending 3  running 3  completed 120  failed 2  cancelled 0",
      "throughput 41 jobs/s last second  5.4 jobs/s over the last minute",
      `per second ${"▁".repeat(50)}▃▄▆▇██▇▇▇`,
      "oldest     pending job waiting 1.2s",
      "totals     submitted 129  reassigned 1  retried 3  stale refused 0",
      "",
      "workers  3 connected, 2 busy",
      "  worker  queues        job  attempt  running   heartbeat  progress",
      "  w-1     default        17        1     1.2s  300 ms ago  45% copying",
      "  w-2     default,mail   18        2   400 ms    1.1s ago",
      "                         19        1    50 ms              99%",
      "  w-3     default         -                    200 ms ago  waiting for work",
      "",
      "queues",
      "  queue    paused  delayed  pending  running  completed  failed  cancelled",
      "  default  no            0        2        2        100       2          0",
      "  mail     yes           1        1        1         20       0          0",
      "",
      "recent events, newest first",
      "  at            event            job  worker  reason",
      "  03:04:04.000  failed             9          attempts exhausted: disk full",
      "  03:04:02.500  retry-scheduled   12          attempt 1 failed: boom; retry in 200 ms",
      "  03:04:01.000  reassigned        17  w-0     worker w-0 disconnected",
    ]);
  });

  it("wraps the summary at whole words and cuts table rows to the terminal's width", () => {
    const lines = renderFrame(statsSnapshot(), { ...options, columns: 40 });
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(40);
    expect(lines.slice(0, 12)).toEqual([
      "djq watch  127.0.0.1:7070  run 1a2b3c4d",
      "           2025-01-02T03:04:05.000Z",
      "           every 1s",
      "jobs       delayed 1  pending 3",
      "           running 3  completed 120",
      "           failed 2  cancelled 0",
      "throughput 41 jobs/s last second",
      "           5.4 jobs/s over the last min…",
      `per second ${"▁".repeat(20)}▃▄▆▇██▇▇▇`,
      "oldest     pending job waiting 1.2s",
      "totals     submitted 129  reassigned 1",
      "           retried 3  stale refused 0",
    ]);
    expect(lines).toContain("  w-1     default        17        1   …");
    expect(lines).toContain("  03:04:01.000  reassigned        17  w…");
  });

  it("keeps the newest seconds of the last minute on a narrow terminal", () => {
    const lines = renderFrame(statsSnapshot(), { ...options, columns: 20 });
    expect(lines).toContain("per second ▃▄▆▇██▇▇▇");
  });

  it("shows a status line when the frame is stale", () => {
    const lines = renderFrame(statsSnapshot(), { ...options, status: "no answer from the queue for 3.0s" });
    expect(lines[1]).toBe("!          no answer from the queue for 3.0s");
  });

  it("says when nothing is connected, pending or recent", () => {
    const lines = renderFrame(statsSnapshot({ workers: [], queues: {}, recent: [], oldestPendingAgeMs: undefined }), options);
    expect(lines.slice(4)).toEqual([
      "oldest     no job pending",
      "totals     submitted 129  reassigned 1  retried 3  stale refused 0",
      "",
      "workers  none connected",
      "",
      "queues  none",
      "",
      "recent events  none",
    ]);
  });

  it("says how many workers the queue left out of its reply to fit the frame", () => {
    const lines = renderFrame(statsSnapshot({ workersNotShown: 1200 }), options);
    expect(lines.some((line) => line.includes("1200 more workers not shown"))).toBe(true);
    expect(renderFrame(statsSnapshot(), options).some((line) => line.includes("not shown"))).toBe(false);
  });

  it("shares the terminal's rows so many workers cannot push the events off the screen", () => {
    const workers = Array.from({ length: 100 }, (_, index) => ({
      workerId: `w-${index}`,
      queues: ["default"],
      connectedAt: snapshotAt,
      lastSeenAt: snapshotAt,
      waiting: true,
      running: [],
    }));
    const lines = renderFrame(statsSnapshot({ workers }), { ...options, rows: 30 });
    expect(lines).toHaveLength(30);
    expect(lines.slice(7, 21)).toEqual([
      "workers  100 connected, 0 busy",
      "  worker  queues   job  attempt  running  heartbeat  progress",
      ...Array.from({ length: 9 }, (_, index) => `  w-${index}     default    -                     0 ms ago  waiting for work`),
      "  … 91 more rows",
      "",
      "queues",
    ]);
    expect(lines.at(-1)).toBe("  03:04:01.000  reassigned        17  w-0     worker w-0 disconnected");
  });

  it("prints every row when the height is unknown", () => {
    const workers = Array.from({ length: 50 }, (_, index) => ({
      workerId: `w-${index}`,
      queues: ["default"],
      connectedAt: snapshotAt,
      lastSeenAt: snapshotAt,
      waiting: false,
      running: [],
    }));
    const lines = renderFrame(statsSnapshot({ workers }), options);
    expect(lines.filter((line) => line.endsWith("idle"))).toHaveLength(50);
  });

  it("does not let a worker's text move the cursor or clear the screen", () => {
    const stats = statsSnapshot();
    stats.recent = [{ at: snapshotAt, kind: "failed", jobId: 3, reason: "boom\x1b[2J\x1b[Hgotcha\nsecond line\u202etxt" }];
    const worker = stats.workers[0]!;
    worker.workerId = "evil\x1b]0;title\x07";
    worker.running[0]!.progress = { percent: 10, message: "\x9b31mred" };
    const text = renderFrame(stats, options).join("\n");
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(text).toContain("boom [2J [Hgotcha second line txt");
  });
});

describe("sharing rows between sections", () => {
  it("gives each section a row in turn until the rows run out", () => {
    expect(shareRows([100, 2, 50], 10)).toEqual([4, 2, 4]);
  });

  it("gives what is left to the sections that still want rows", () => {
    expect(shareRows([100, 0, 1], 10)).toEqual([9, 0, 1]);
    expect(shareRows([3, 2, 1], 100)).toEqual([3, 2, 1]);
  });

  it("gives nothing when there is no room", () => {
    expect(shareRows([5, 5], -3)).toEqual([0, 0]);
  });
});
