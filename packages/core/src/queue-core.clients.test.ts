// What clients can do to jobs: delay them, cancel them, retry them, watch them, and be told
// the queue is full. Time is the `now` argument; nothing here sleeps.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import { assigned, connect, fetchJobs, ids, newCore, ok, only, stateOf, submit, take } from "./test-support/core-harness.js";

describe("delays", () => {
  it("does not assign a delayed job before its due time and makes it pending at that time", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, [{ delayMs: 100 }]);
    connect(core, 0, "w1");
    expect(stateOf(core, a as number)).toBe("delayed");
    expect(fetchJobs(core, 0, "w1")).toEqual([]);
    expect(core.nextWakeAt()).toBe(100);
    core.advance(99);
    expect(take(core)).toEqual([]);
    core.advance(100);
    expect(ids(assigned(take(core), "w1"))).toEqual([a]);
  });

  it("holds a job with runAt in the future until then and runs one with runAt in the past at once", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [later, past] = submit(core, 1_000, [{ runAt: 5_000 }, { runAt: 10 }]);
    expect(stateOf(core, later as number)).toBe("delayed");
    expect(stateOf(core, past as number)).toBe("pending");
    core.advance(4_999);
    expect(stateOf(core, later as number)).toBe("delayed");
    core.advance(5_000);
    expect(stateOf(core, later as number)).toBe("pending");
  });

  it("makes delayed jobs pending in order of due time, the earlier-submitted first on a tie", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [late, tieFirst] = submit(core, 0, [{ delayMs: 300 }, { delayMs: 200 }]);
    const [early] = submit(core, 50, [{ delayMs: 50 }]);
    const [tieSecond] = submit(core, 100, [{ delayMs: 100 }]);
    core.advance(1_000);
    connect(core, 1_000, "w1");
    expect(ids(fetchJobs(core, 1_000, "w1", 10))).toEqual([early, tieFirst, tieSecond, late]);
  });

  it("puts a delayed job due at T ahead of jobs submitted at T or later", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [before] = submit(core, 0, 1);
    const [delayed] = submit(core, 0, [{ delayMs: 100 }]);
    const [atT] = submit(core, 100, 1);
    const [afterT] = submit(core, 150, 1);
    connect(core, 200, "w1");
    expect(ids(fetchJobs(core, 200, "w1", 10))).toEqual([before, delayed, atT, afterT]);
  });

  it("treats a zero delay as no delay", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ delayMs: 0 }]);
    expect(stateOf(core, a as number)).toBe("pending");
  });
});

describe("cancel", () => {
  it("cancels a pending job, which is then never assigned", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, 2);
    expect(core.cancel(1, a as number)).toEqual({ ok: true, value: "pending" });
    connect(core, 2, "w1");
    expect(ids(fetchJobs(core, 2, "w1", 5))).toEqual([b]);
    expect(stateOf(core, a as number)).toBe("cancelled");
    expect(core.totals.cancelled).toBe(1);
  });

  it("cancels a delayed job, which then never becomes pending", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, [{ delayMs: 100 }]);
    expect(core.cancel(1, a as number)).toEqual({ ok: true, value: "delayed" });
    expect(core.nextWakeAt()).not.toBe(100);
    core.advance(1_000);
    expect(stateOf(core, a as number)).toBe("cancelled");
  });

  it("cancels a running job and tells its worker to abandon it", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1, { watchedBy: 1 });
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    expect(core.cancel(1, a as number)).toEqual({ ok: true, value: "running" });
    const effects = take(core);
    expect(effects).toEqual([
      { type: "abandon", workerId: "w1", jobId: a, lease: held?.lease, reason: "cancelled" },
      expect.objectContaining({ type: "settled", jobId: a, state: "cancelled" }),
    ]);
    expect(core.complete(2, "w1", [{ jobId: a as number, lease: held?.lease as number }])[0]?.code).toBe(ErrorCode.staleLease);
    expect(core.workerList()[0]?.running.size).toBe(0);
  });

  it("refuses to cancel a completed job with invalid-state", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.complete(1, "w1", [{ jobId: a as number, lease: held?.lease as number }]);
    expect(core.cancel(2, a as number)).toMatchObject({ ok: false, code: ErrorCode.invalidState });
    expect(core.cancel(2, a as number + 1)).toMatchObject({ ok: false, code: ErrorCode.unknownJob });
  });
});

describe("retry", () => {
  it("puts a failed job back at the back of its queue with its attempts reset", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ maxAttempts: 1 }]);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.fail(1, "w1", [{ jobId: a as number, lease: held?.lease as number, error: "boom" }]);
    const [b] = submit(core, 2, 1);
    expect(core.retry(3, a as number)).toEqual({ ok: true, value: undefined });
    expect(ok(core.find(a as number))).toMatchObject({ state: "pending", attempts: 0, error: undefined, settledAt: 0 });
    const again = fetchJobs(core, 4, "w1", 2);
    expect(ids(again)).toEqual([b, a]);
    expect(again[1]?.attempt).toBe(1);
    expect(core.totals.retried).toBe(1);
  });

  it("puts a cancelled job back in line", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    core.cancel(1, a as number);
    ok(core.retry(2, a as number));
    connect(core, 3, "w1");
    expect(ids(fetchJobs(core, 3, "w1"))).toEqual([a]);
  });

  it("refuses to retry a job that is not failed or cancelled", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    expect(core.retry(1, a as number)).toMatchObject({ ok: false, code: ErrorCode.invalidState });
  });
});

describe("watch", () => {
  it("reports when a watched job settles, and nothing for unwatched ones", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, 2);
    ok(core.watch(0, [a as number], 1));
    connect(core, 0, "w1");
    const held = fetchJobs(core, 0, "w1", 2);
    core.complete(1, "w1", held.map((h) => ({ jobId: h.jobId, lease: h.lease, result: { n: h.jobId } })));
    expect(only(take(core), "settled")).toEqual([{ type: "settled", connectionId: 1, jobId: a, state: "completed", result: { n: a }, error: undefined }]);
    expect(b).toBeDefined();
  });

  it("reports an already-settled job at once when it is watched", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    core.cancel(1, a as number);
    take(core);
    ok(core.watch(2, [a as number], 1));
    expect(take(core)).toEqual([expect.objectContaining({ type: "settled", jobId: a, state: "cancelled" })]);
  });

  it("refuses to watch a job id never issued and watches none of the list", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    expect(core.watch(1, [a as number, 42], 1)).toMatchObject({ ok: false, code: ErrorCode.unknownJob });
    core.cancel(2, a as number);
    expect(only(take(core), "settled")).toEqual([]);
  });

  it("passes a running job's accepted progress to each of its watchers, and a refused one to none", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, 2);
    ok(core.watch(0, [a as number], 1));
    ok(core.watch(0, [a as number], 2));
    connect(core, 0, "w1");
    const [heldA, heldB] = fetchJobs(core, 0, "w1", 2);
    ok(core.progress(1, "w1", a as number, heldA?.lease as number, { percent: 40, message: "resizing" }));
    ok(core.progress(1, "w1", b as number, heldB?.lease as number, { percent: 10 }));
    expect(core.progress(2, "w1", a as number, 999, { percent: 90 })).toMatchObject({ ok: false, code: ErrorCode.staleLease });
    expect(take(core)).toEqual([
      { type: "progress", connectionId: 1, jobId: a, progress: { percent: 40, message: "resizing" } },
      { type: "progress", connectionId: 2, jobId: a, progress: { percent: 40, message: "resizing" } },
    ]);
  });

  it("reports a watched job once, not again when it is retried and settles again", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1, { watchedBy: 1 });
    core.cancel(1, a as number);
    expect(only(take(core), "settled")).toHaveLength(1);
    ok(core.retry(2, a as number));
    core.cancel(3, a as number);
    expect(only(take(core), "settled")).toEqual([]);
  });
});

describe("queue full", () => {
  it("refuses a whole submission that would pass maxUnfinishedJobs and accepts again once jobs finish", () => {
    const core = newCore({ maxUnfinishedJobs: 3 });
    const [a] = submit(core, 0, 2);
    const refused = core.submit(1, [{}, {}]);
    expect(refused).toMatchObject({ ok: false, code: ErrorCode.queueFull });
    expect(core.counts.pending).toBe(2);
    expect(core.totals.submitted).toBe(2);
    connect(core, 2, "w1");
    const [held] = fetchJobs(core, 2, "w1");
    expect(held?.jobId).toBe(a);
    core.complete(3, "w1", [{ jobId: a as number, lease: held?.lease as number }]);
    expect(ok(core.submit(4, [{}, {}]))).toHaveLength(2);
  });

  it("refuses to retry a job while the queue is full, since a retried job is unfinished again", () => {
    const core = newCore({ maxUnfinishedJobs: 2 });
    const [a] = submit(core, 0, 1);
    ok(core.cancel(1, a as number));
    submit(core, 2, 2);
    expect(core.retry(3, a as number)).toMatchObject({ ok: false, code: ErrorCode.queueFull });
    expect(stateOf(core, a as number)).toBe("cancelled");
  });

  it("counts delayed and running jobs as unfinished", () => {
    const core = newCore({ maxUnfinishedJobs: 2 });
    submit(core, 0, [{ delayMs: 1_000 }, {}]);
    connect(core, 0, "w1");
    fetchJobs(core, 0, "w1");
    expect(core.submit(1, [{}])).toMatchObject({ ok: false, code: ErrorCode.queueFull });
  });

  it("tells each watching connection once, and none whose connection closed in the meantime", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1, { watchedBy: 1 });
    ok(core.watch(0, [a as number], 2));
    ok(core.watch(0, [a as number], 3));
    core.closeConnection(1, 2);
    expect(core.subscriptionCount()).toBe(1);
    core.cancel(2, a as number);
    expect(only(take(core), "settled").map((e) => e.connectionId)).toEqual([1, 3]);
    expect(core.subscriptionCount()).toBe(0);
  });

  it("keeps nothing for a closed connection's watches", () => {
    const core = newCore();
    const jobs = submit(core, 0, 3, { watchedBy: 7 });
    expect(core.subscriptionCount()).toBe(3);
    expect(core.closeConnection(1, 7)).toBeUndefined();
    expect(core.subscriptionCount()).toBe(0);
    for (const id of jobs) core.cancel(2, id);
    expect(only(take(core), "settled")).toEqual([]);
  });
});
