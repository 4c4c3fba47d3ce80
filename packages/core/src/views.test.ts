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
  const page = (core: ReturnType<typeof newCore>, query: Parameters<typeof listJobs>[1]) => ok(listJobs(core, query));
  const ids = (core: ReturnType<typeof newCore>, query: Parameters<typeof listJobs>[1]) => page(core, query).jobs.map((j) => j.jobId);

  it("lists pending jobs oldest first by place in line, whatever their priority, and a job put back keeps its place", () => {
    const core = newCore();
    const [low, middle, high] = submit(core, 0, [{ priority: 1 }, {}, { priority: 9 }]);
    connect(core, 0, "w1");
    const [taken] = fetchJobs(core, 1, "w1");
    expect(taken?.jobId).toBe(high);
    expect(ids(core, { state: "pending" })).toEqual([low, middle]);
    core.disconnectWorker(2, "w1", "gone");
    take(core);
    expect(ids(core, { state: "pending" })).toEqual([low, middle, high]);
  });

  it("pages through pending jobs with next, each job once, and next is a place in the listing", () => {
    const core = newCore();
    const jobIds = submit(core, 0, 120);
    const seen: number[] = [];
    let after: number | undefined;
    let pages = 0;
    for (;;) {
      const shown = page(core, { state: "pending", limit: 50, after });
      seen.push(...shown.jobs.map((j) => j.jobId));
      pages += 1;
      if (shown.next === undefined) break;
      after = shown.next;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(jobIds);
  });

  it("keeps paging from where it was when the last job shown was cancelled or started since", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const jobIds = submit(core, 0, 6);
    const first = page(core, { state: "pending", limit: 2 });
    expect(first.jobs.map((j) => j.jobId)).toEqual(jobIds.slice(0, 2));
    ok(core.cancel(1, jobIds[1] as number));
    const second = page(core, { state: "pending", limit: 2, after: first.next });
    expect(second.jobs.map((j) => j.jobId)).toEqual(jobIds.slice(2, 4));
    connect(core, 2, "w1");
    fetchJobs(core, 2, "w1", 4); // jobs 1, 3, 4 and 5 start: only the last pending one is left
    expect(ids(core, { state: "pending", after: second.next })).toEqual([jobIds[5]]);
  });

  it("refuses a cursor past every place the state's listing has given out", () => {
    const core = newCore();
    submit(core, 0, 4);
    const refusal = listJobs(core, { state: "pending", after: 999 });
    expect(refusal).toMatchObject({ ok: false, code: "bad-cursor" });
    expect(ids(core, { state: "pending", after: 0 })).toHaveLength(4);
  });

  it("leaves next out when a page ends exactly at the last job", () => {
    const core = newCore();
    submit(core, 0, 4);
    expect(page(core, { state: "pending", limit: 4 }).next).toBeUndefined();
    expect(page(core, { state: "pending", limit: 3 }).next).toBe(3);
  });

  it("lists failed jobs in the order they settled, oldest first, and filters by queue", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const jobIds = submit(core, 0, [{ maxAttempts: 1 }, { maxAttempts: 1, queue: "other" }, { maxAttempts: 1 }]);
    connect(core, 0, "w1", ["default", "other"]);
    const held = fetchJobs(core, 0, "w1", 3).reverse();
    for (const [i, job] of held.entries()) core.fail(10 + i, "w1", [{ jobId: job.jobId, lease: job.lease, error: `e${job.jobId}` }]);
    const failed = page(core, { state: "failed" }).jobs;
    expect(failed.map((j) => j.jobId)).toEqual(held.map((j) => j.jobId));
    expect(failed[0]).toMatchObject({ state: "failed", error: `e${held[0]?.jobId}`, attempts: 1 });
    expect(ids(core, { state: "failed", queue: "other" })).toEqual([jobIds[1]]);
  });

  it("lists delayed jobs in the order they were delayed and running jobs by start", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [late, soon] = submit(core, 0, [{ delayMs: 900 }, { delayMs: 100 }]);
    expect(page(core, { state: "delayed" }).jobs.map((j) => [j.jobId, j.runAt])).toEqual([
      [late, 900],
      [soon, 100],
    ]);
    const [first, second] = submit(core, 0, [{ priority: 1 }, { priority: 9 }]);
    connect(core, 0, "w1");
    fetchJobs(core, 5, "w1");
    fetchJobs(core, 6, "w1");
    expect(ids(core, { state: "running" })).toEqual([second, first]);
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
