// The read-only pictures the queue answers status, list and stats requests with.
import { describe, expect, it } from "vitest";
import { connect, fetchJobs, newCore, ok, submit, take } from "./test-support/core-harness.js";
import { jobView, listJobs, statsView } from "./views.js";

describe("statsView", () => {
  it("counts jobs per state, overall and per queue, with workers and totals", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [a, b] = submit(core, 0, [{ queue: "q1" }, { queue: "q1" }, { queue: "q2", delayMs: 500 }, { queue: "q2" }]);
    connect(core, 0, "w1", ["q1"]);
    const held = fetchJobs(core, 10, "w1", 2);
    core.complete(20, "w1", [{ jobId: a as number, lease: held[0]?.lease as number }]);
    ok(core.pause(20, "q2"));
    core.advance(1_000);
    const stats = statsView(core, 1_000);
    expect(stats.counts).toEqual({ delayed: 0, pending: 2, running: 1, completed: 1, failed: 0, cancelled: 0 });
    expect(stats.queues).toEqual({
      q1: { counts: { delayed: 0, pending: 0, running: 1, completed: 1, failed: 0, cancelled: 0 }, paused: false },
      q2: { counts: { delayed: 0, pending: 2, running: 0, completed: 0, failed: 0, cancelled: 0 }, paused: true },
    });
    expect(stats.totals).toMatchObject({ submitted: 4, completed: 1 });
    expect(stats.workers).toEqual([
      expect.objectContaining({ workerId: "w1", queues: ["q1"], running: [expect.objectContaining({ jobId: b, attempt: 1, startedAt: 10 })] }),
    ]);
    expect(stats.oldestPendingAgeMs).toBe(1_000);
    expect(stats.completedPerSecond).toHaveLength(60);
    expect(stats.completedPerSecond.slice(-2)).toEqual([1, 0]);
  });

  it("counts completions in the second they happened", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    submit(core, 0, 3);
    connect(core, 0, "w1");
    const held = fetchJobs(core, 0, "w1", 3);
    core.complete(500, "w1", held.slice(0, 1).map((h) => ({ jobId: h.jobId, lease: h.lease })));
    core.complete(2_100, "w1", held.slice(1).map((h) => ({ jobId: h.jobId, lease: h.lease })));
    expect(statsView(core, 2_500).completedPerSecond.slice(-3)).toEqual([1, 0, 2]);
    expect(statsView(core, 70_000).completedPerSecond.every((n) => n === 0)).toBe(true);
  });
});

describe("listJobs", () => {
  it("lists pending jobs in the order they will be handed out", () => {
    const core = newCore();
    const [low, , high] = submit(core, 0, [{ priority: 1 }, {}, { priority: 9 }]);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    const [taken] = fetchJobs(core, 1, "w1");
    expect(taken?.jobId).toBe(high);
    core.disconnectWorker(2, "w1", "gone");
    take(core);
    const listed = listJobs(core, { state: "pending" }).jobs.map((j) => j.jobId);
    const handedOut = fetchJobs(core, 3, "w2", 10).map((j) => j.jobId);
    expect(listed).toEqual(handedOut);
    expect(listed[0]).toBe(high);
    expect(listed.at(-1)).toBe(low);
  });

  it("pages through a long list with after and next", () => {
    const core = newCore();
    const jobIds = submit(core, 0, 120);
    const seen: number[] = [];
    let after: number | undefined;
    let pages = 0;
    for (;;) {
      const page = listJobs(core, { state: "pending", limit: 50, after });
      seen.push(...page.jobs.map((j) => j.jobId));
      pages += 1;
      if (page.next === undefined) break;
      expect(page.next).toBe(page.jobs.at(-1)?.jobId);
      after = page.next;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(jobIds);
  });

  it("leaves next out when a page ends exactly at the last job", () => {
    const core = newCore();
    submit(core, 0, 4);
    expect(listJobs(core, { state: "pending", limit: 4 }).next).toBeUndefined();
    expect(listJobs(core, { state: "pending", limit: 3 }).next).toBe(3);
  });

  it("lists failed jobs newest first and filters by queue", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const jobIds = submit(core, 0, [{ maxAttempts: 1 }, { maxAttempts: 1, queue: "other" }, { maxAttempts: 1 }]);
    connect(core, 0, "w1", ["default", "other"]);
    for (const [i, held] of fetchJobs(core, 0, "w1", 3).entries()) {
      core.fail(10 + i, "w1", [{ jobId: held.jobId, lease: held.lease, error: `e${held.jobId}` }]);
    }
    const failed = listJobs(core, { state: "failed" }).jobs;
    expect(failed.map((j) => j.jobId)).toEqual([...jobIds].reverse());
    expect(failed[0]).toMatchObject({ state: "failed", error: `e${jobIds[2]}`, attempts: 1 });
    expect(listJobs(core, { state: "failed", queue: "other" }).jobs.map((j) => j.jobId)).toEqual([jobIds[1]]);
  });

  it("lists delayed jobs by due time and running jobs by start", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [late, soon] = submit(core, 0, [{ delayMs: 900 }, { delayMs: 100 }]);
    expect(listJobs(core, { state: "delayed" }).jobs.map((j) => [j.jobId, j.runAt])).toEqual([
      [soon, 100],
      [late, 900],
    ]);
    const [first, second] = submit(core, 0, 2);
    connect(core, 0, "w1");
    fetchJobs(core, 5, "w1");
    fetchJobs(core, 6, "w1");
    expect(listJobs(core, { state: "running" }).jobs.map((j) => j.jobId)).toEqual([first, second]);
  });
});

describe("jobView", () => {
  it("shows the worker and lease of a running job and the history of its attempts", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ payload: { x: 1 }, type: "resize", durationMs: 7 }]);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 3, "w1");
    const view = jobView(ok(core.find(a as number)));
    expect(view).toMatchObject({
      jobId: a,
      state: "running",
      type: "resize",
      payload: { x: 1 },
      durationMs: 7,
      workerId: "w1",
      lease: held?.lease,
      attempts: 1,
      history: [{ attempt: 1, lease: held?.lease, workerId: "w1", startedAt: 3, outcome: "running" }],
    });
    core.complete(4, "w1", [{ jobId: a as number, lease: held?.lease as number, result: "done" }]);
    const settled = jobView(ok(core.find(a as number)));
    expect(settled).toMatchObject({ state: "completed", result: "done", settledAt: 4 });
    expect(settled.workerId).toBeUndefined();
    expect(settled.history[0]).toMatchObject({ endedAt: 4, outcome: "completed" });
  });
});
