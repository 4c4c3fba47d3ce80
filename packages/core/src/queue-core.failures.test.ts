// What happens when attempts end badly: a worker fails a job, goes silent, loses its
// connection, reconnects, or a run times out. Every such end counts as an attempt except release.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import type { QueueCore } from "./queue-core.js";
import { retryDelayMs } from "./retry-policy.js";
import { assigned, connect, fetchJobs, ids, newCore, ok, only, stateOf, submit, take } from "./test-support/core-harness.js";

const retry = { baseMs: 1_000, maxMs: 60_000 };

describe("fail", () => {
  it("delays a failed job with attempts left by the retry delay, then puts it at the back of the line", () => {
    const core = newCore({ retry });
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    const [b] = submit(core, 5, 1);
    expect(core.fail(10, "w1", [{ jobId: a as number, lease: held?.lease as number, error: "boom" }])).toEqual([]);
    const delay = retryDelayMs(retry, a as number, 1);
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1_000);
    expect(only(take(core), "requeued")).toEqual([expect.objectContaining({ jobId: a, attempt: 1, to: "delayed" })]);
    expect(ok(core.find(a as number))).toMatchObject({ state: "delayed", deadlineAt: 10 + delay, error: "boom" });
    expect(core.nextWakeAt()).toBe(10 + delay);
    core.touchWorker(10 + delay - 1, "w1");
    core.advance(10 + delay - 1);
    expect(stateOf(core, a as number)).toBe("delayed");
    core.touchWorker(10 + delay, "w1");
    const [c] = submit(core, 10 + delay, 1);
    expect(stateOf(core, a as number)).toBe("pending");
    expect(ids(fetchJobs(core, 10 + delay, "w1", 3))).toEqual([b, a, c]);
  });

  it("backs off exponentially between attempts", () => {
    const core = newCore({ retry, defaultMaxAttempts: 5, heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, 1);
    const id = a as number;
    connect(core, 0, "w1");
    let now = 0;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const [held] = fetchJobs(core, now, "w1");
      expect(held).toMatchObject({ jobId: id, attempt });
      core.fail(now, "w1", [{ jobId: id, lease: held?.lease as number, error: `try ${attempt}` }]);
      const due = ok(core.find(id)).deadlineAt;
      delays.push(due - now);
      now = due;
      core.advance(now);
    }
    expect(delays).toEqual([1, 2, 3, 4].map((n) => retryDelayMs(retry, id, n)));
    delays.forEach((d, i) => expect(d).toBeGreaterThanOrEqual(1_000 * 2 ** i / 2));
  });

  it("fails a job for good, with its error, when the worker says the failure is permanent", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ maxAttempts: 5 }], { watchedBy: 1 });
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.fail(1, "w1", [{ jobId: a as number, lease: held?.lease as number, error: "bad input", permanent: true }]);
    const effects = take(core);
    expect(only(effects, "failed")).toEqual([{ type: "failed", jobId: a, error: "bad input", attempts: 1 }]);
    expect(only(effects, "settled")).toEqual([{ type: "settled", connectionId: 1, jobId: a, state: "failed", result: undefined, error: "bad input" }]);
    expect(ok(core.find(a as number))).toMatchObject({ state: "failed", error: "bad input", settledAt: 1 });
  });

  it("fails a job for good when its last attempt fails", () => {
    const core = newCore({ retry: { baseMs: 0, maxMs: 0 } });
    const [a] = submit(core, 0, [{ maxAttempts: 2 }]);
    connect(core, 0, "w1");
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const [held] = fetchJobs(core, attempt, "w1");
      expect(held?.attempt).toBe(attempt);
      core.fail(attempt, "w1", [{ jobId: a as number, lease: held?.lease as number, error: `e${attempt}` }]);
    }
    expect(ok(core.find(a as number))).toMatchObject({ state: "failed", error: "e2", attempts: 2 });
    expect(core.totals.failed).toBe(1);
    expect(fetchJobs(core, 10, "w1")).toEqual([]);
  });
});

describe("lost workers and timeouts", () => {
  it("fails a poison job once it has lost maxAttempts workers", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ maxAttempts: 3 }]);
    for (let n = 1; n <= 3; n += 1) {
      connect(core, n, `w${n}`);
      expect(fetchJobs(core, n, `w${n}`)[0]).toMatchObject({ jobId: a, attempt: n });
      core.disconnectWorker(n, `w${n}`, "crashed");
    }
    const effects = take(core);
    expect(only(effects, "failed")).toEqual([expect.objectContaining({ jobId: a, attempts: 3 })]);
    expect(ok(core.find(a as number))).toMatchObject({ state: "failed" });
    expect(ok(core.find(a as number)).history?.map((h) => h.outcome)).toEqual(["worker-lost", "worker-lost", "worker-lost"]);
  });

  it("fails a job that times out on its last attempt and still tells the worker to abandon it", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, [{ maxAttempts: 1, timeoutMs: 50 }]);
    connect(core, 0, "w1");
    fetchJobs(core, 0, "w1");
    core.advance(50);
    expect(take(core).map((e) => e.type)).toEqual(["abandon", "failed"]);
    expect(stateOf(core, a as number)).toBe("failed");
  });

  it("declares a worker silent for heartbeatTimeoutMs lost, with a worker-lost effect, and requeues its jobs", () => {
    const core = newCore({ heartbeatTimeoutMs: 1_000 });
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    fetchJobs(core, 0, "w1");
    expect(core.nextWakeAt()).toBe(1_000);
    core.touchWorker(900, "w2");
    core.advance(999);
    expect(take(core)).toEqual([]);
    core.advance(1_000);
    const effects = take(core);
    expect(effects[0]).toEqual({ type: "worker-lost", workerId: "w1" });
    expect(only(effects, "requeued")).toEqual([expect.objectContaining({ jobId: a, workerId: "w1" })]);
    expect(core.workerList().map((w) => w.id)).toEqual(["w2"]);
    expect(stateOf(core, a as number)).toBe("pending");
    expect(core.fetch(1_001, "w1", "f", 1)).toMatchObject({ ok: false, code: ErrorCode.helloRequired });
  });

  it("keeps a worker alive while it is heard from within the heartbeat timeout", () => {
    const core = newCore({ heartbeatTimeoutMs: 1_000 });
    connect(core, 0, "w1");
    for (let t = 900; t <= 9_000; t += 900) {
      core.touchWorker(t, "w1");
      core.advance(t);
    }
    expect(take(core)).toEqual([]);
    expect(core.workerList()).toHaveLength(1);
  });

  it("counts a message heard before the silence check, and declares the worker lost when none came", () => {
    const heard = newCore({ heartbeatTimeoutMs: 1_000 });
    const silent = newCore({ heartbeatTimeoutMs: 1_000 });
    for (const core of [heard, silent]) {
      submit(core, 0, 1);
      connect(core, 0, "w1");
      fetchJobs(core, 0, "w1");
    }
    // The queue stalled until 1,500: the worker's heartbeat waited in the socket meanwhile.
    heard.touchWorker(1_500, "w1");
    heard.advance(1_500);
    silent.advance(1_500);
    const what = (core: QueueCore) => take(core).map((e) => [e.type, "jobId" in e ? e.jobId : e.workerId]);
    expect(what(heard)).toEqual([]);
    expect(heard.workerList().map((w) => w.id)).toEqual(["w1"]);
    expect(what(silent)).toEqual([["worker-lost", "w1"], ["requeued", 1]]);
    expect(silent.workerList()).toEqual([]);
  });

  it("forgets a lost worker's waiting fetches", () => {
    const core = newCore();
    connect(core, 0, "w1");
    fetchJobs(core, 0, "w1");
    core.disconnectWorker(1, "w1", "gone");
    const [a] = submit(core, 2, 1);
    expect(take(core)).toEqual([]);
    expect(stateOf(core, a as number)).toBe("pending");
  });
});

describe("reconnecting workers", () => {
  it("keeps the leases a reconnecting worker still holds and requeues the others", () => {
    const core = newCore();
    const [a, b, c] = submit(core, 0, 3);
    connect(core, 0, "w1");
    const held = fetchJobs(core, 0, "w1", 3);
    const leaseOf = (id: number | undefined) => held.find((h) => h.jobId === id)?.lease as number;
    const resumed = connect(core, 5, "w1", ["default"], [
      { jobId: a as number, lease: leaseOf(a) },
      { jobId: c as number, lease: leaseOf(c) },
    ]);
    expect(resumed).toBe(true);
    const effects = take(core);
    expect(only(effects, "abandon")).toEqual([{ type: "abandon", workerId: "w1", jobId: b, lease: leaseOf(b), reason: "lease-revoked" }]);
    expect(only(effects, "requeued")).toEqual([expect.objectContaining({ jobId: b, workerId: "w1", to: "pending" })]);
    expect(ok(core.find(a as number))).toMatchObject({ state: "running", lease: leaseOf(a) });
    expect(ok(core.find(c as number))).toMatchObject({ state: "running", lease: leaseOf(c) });
    expect(stateOf(core, b as number)).toBe("pending");
    expect(core.complete(6, "w1", [{ jobId: a as number, lease: leaseOf(a) }])).toEqual([]);
    expect(core.complete(6, "w1", [{ jobId: b as number, lease: leaseOf(b) }])[0]?.code).toBe(ErrorCode.staleLease);
    expect(fetchJobs(core, 7, "w1")[0]).toMatchObject({ jobId: b, attempt: 2 });
  });

  it("tells a reconnecting worker to abandon a job assigned to it while its hello was in flight", () => {
    const core = newCore({ heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, [{ delayMs: 100 }]);
    connect(core, 0, "w1");
    expect(fetchJobs(core, 0, "w1")).toEqual([]);
    // The job fell due at 100 and went to w1's open fetch; w1's hello at 150 could not list it.
    connect(core, 150, "w1", ["default"], []);
    const effects = take(core);
    const [assignment] = assigned(effects, "w1");
    expect(assignment?.jobId).toBe(a);
    expect(effects.map((e) => e.type)).toEqual(["assign", "abandon", "requeued"]);
    expect(only(effects, "abandon")).toEqual([{ type: "abandon", workerId: "w1", jobId: a, lease: assignment?.lease, reason: "lease-revoked" }]);
    expect(stateOf(core, a as number)).toBe("pending");
  });

  it("requeues a held job whose lease the reconnecting worker names wrongly", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    connect(core, 1, "w1", ["default"], [{ jobId: a as number, lease: (held?.lease as number) + 100 }]);
    expect(stateOf(core, a as number)).toBe("pending");
  });

  it("drops a reconnecting worker's old fetches and takes its new list of queues", () => {
    const core = newCore();
    connect(core, 0, "w1", ["a"]);
    fetchJobs(core, 0, "w1");
    connect(core, 1, "w1", ["b"]);
    submit(core, 2, [{ queue: "a" }, { queue: "b" }]);
    expect(take(core)).toEqual([]);
    expect(fetchJobs(core, 3, "w1", 2).map((j) => j.queue)).toEqual(["b"]);
  });

  it("counts a reconnect as new silence-free time for the heartbeat", () => {
    const core = newCore({ heartbeatTimeoutMs: 1_000 });
    connect(core, 0, "w1");
    connect(core, 900, "w1");
    core.advance(1_500);
    expect(take(core)).toEqual([]);
    core.advance(1_900);
    expect(take(core)).toEqual([{ type: "worker-lost", workerId: "w1" }]);
  });

  it("treats a worker id the core has already declared lost as a new worker", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.disconnectWorker(1, "w1", "gone");
    expect(connect(core, 2, "w1", ["default"], [{ jobId: a as number, lease: held?.lease as number }])).toBe(false);
    take(core);
    const [again] = fetchJobs(core, 3, "w1");
    expect(again).toMatchObject({ jobId: a, attempt: 2 });
  });

  it("loses a worker when the connection it said hello on closes, not when an older one does", () => {
    const core = newCore();
    ok(core.connectWorker(0, "w1", ["default"], [], 10));
    ok(core.connectWorker(1, "w1", ["default"], [], 11));
    expect(take(core)).toEqual([{ type: "worker-replaced", connectionId: 10, workerId: "w1" }]);
    expect(core.closeConnection(2, 10)).toBeUndefined();
    expect(core.workerOn(11)).toBe("w1");
    expect(core.closeConnection(3, 11)).toEqual({ workerId: "w1", left: false });
    expect(core.workerOn(11)).toBeUndefined();
    expect(core.workerList()).toEqual([]);
    expect(core.recentEvents()).toEqual([expect.objectContaining({ kind: "worker-lost", workerId: "w1", reason: "connection closed" })]);
  });

  it("lets a worker that withdrew and holds no job leave, with nothing in the recent failures", () => {
    const core = newCore();
    ok(core.connectWorker(0, "w1", ["default"], [], 10));
    ok(core.fetch(0, "w1", 1, 1));
    core.withdraw(1, "w1");
    expect(core.closeConnection(2, 10)).toEqual({ workerId: "w1", left: true });
    expect(core.workerList()).toEqual([]);
    expect(core.recentEvents()).toEqual([]);
  });

  it("still loses a worker that withdrew but holds a job, or fetched again since, and puts its job back", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    ok(core.connectWorker(0, "w1", ["default"], [], 10));
    fetchJobs(core, 0, "w1");
    core.withdraw(1, "w1");
    expect(core.closeConnection(2, 10)).toEqual({ workerId: "w1", left: false });
    expect(ok(core.find(a as number)).state).toBe("pending");
    ok(core.connectWorker(3, "w2", ["default"], [], 11));
    core.withdraw(4, "w2");
    ok(core.fetch(5, "w2", 1, 1)); // it takes job a
    expect(core.closeConnection(6, 11)).toEqual({ workerId: "w2", left: false });
    expect(core.recentEvents().map((e) => [e.kind, e.workerId])).toEqual([
      ["worker-lost", "w1"],
      ["reassigned", "w1"],
      ["worker-lost", "w2"],
      ["reassigned", "w2"],
    ]);
  });
});
