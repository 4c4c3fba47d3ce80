// The core's promises about who gets which job when: first come first served, fetch answers,
// jobs put back at their original place, and leases as fencing tokens. Time is the `now` argument.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import { assigned, connect, fetchJobs, ids, newCore, ok, only, stateOf, submit, take } from "./test-support/core-harness.js";

describe("hand-out order", () => {
  it("hands out the oldest pending job first", () => {
    const core = newCore();
    const [a, b, c] = submit(core, 0, 3);
    connect(core, 1, "w1");
    expect(ids(fetchJobs(core, 2, "w1", 1))).toEqual([a]);
    expect(ids(fetchJobs(core, 3, "w1", 1))).toEqual([b]);
    expect(ids(fetchJobs(core, 4, "w1", 1))).toEqual([c]);
  });

  it("serves workers waiting for work in the order they fetched", () => {
    const core = newCore();
    for (const w of ["w1", "w2", "w3"]) connect(core, 0, w);
    core.fetch(1, "w2", "f2", 1);
    core.fetch(2, "w3", "f3", 1);
    core.fetch(3, "w1", "f1", 1);
    expect(take(core)).toEqual([]);
    const [a, b, c] = submit(core, 4, 3);
    const effects = take(core);
    expect(effects.map((e) => (e.type === "assign" ? [e.workerId, e.requestId, ids(e.jobs)] : e.type))).toEqual([
      ["w2", "f2", [a]],
      ["w3", "f3", [b]],
      ["w1", "f1", [c]],
    ]);
  });

  it("answers a fetch for several jobs with one assign effect when there is a backlog", () => {
    const core = newCore();
    const jobIds = submit(core, 0, 5);
    connect(core, 0, "w1");
    core.fetch(1, "w1", "req", 3);
    const effects = take(core);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ type: "assign", workerId: "w1", requestId: "req" });
    expect(ids(assigned(effects))).toEqual(jobIds.slice(0, 3));
  });

  it("answers a fetch with what there is when fewer jobs than asked are pending", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    expect(ids(fetchJobs(core, 1, "w1", 10))).toEqual([a]);
    expect(stateOf(core, a as number)).toBe("running");
  });

  it("answers a waiting fetch when a job arrives", () => {
    const core = newCore();
    connect(core, 0, "w1");
    expect(fetchJobs(core, 1, "w1", 2)).toEqual([]);
    expect(core.workerList()[0]?.waiting).toBe(true);
    const [a] = submit(core, 5, 1);
    const effects = take(core);
    expect(effects).toEqual([expect.objectContaining({ type: "assign", workerId: "w1" })]);
    expect(ids(assigned(effects))).toEqual([a]);
    expect(core.workerList()[0]?.waiting).toBe(false);
  });

  it("drops waiting fetches on withdraw, so a new job waits for the next fetch", () => {
    const core = newCore();
    connect(core, 0, "w1");
    core.fetch(1, "w1", "f1", 1);
    core.fetch(1, "w1", "f2", 1);
    core.withdraw(2, "w1");
    const [a] = submit(core, 3, 1);
    expect(take(core)).toEqual([]);
    expect(stateOf(core, a as number)).toBe("pending");
    expect(ids(fetchJobs(core, 4, "w1"))).toEqual([a]);
  });

  it("answers each of a worker's queued fetches in turn as jobs arrive", () => {
    const core = newCore();
    connect(core, 0, "w1");
    core.fetch(1, "w1", "f1", 1);
    core.fetch(1, "w1", "f2", 1);
    submit(core, 2, 1);
    submit(core, 3, 1);
    expect(take(core).map((e) => (e.type === "assign" ? e.requestId : e.type))).toEqual(["f1", "f2"]);
  });

  it("passes over the job types a fetch skips and leaves those jobs, in their place, for a worker that takes them", () => {
    const core = newCore();
    const [invoice, email] = submit(core, 0, [{ type: "invoice" }, { type: "email" }]);
    connect(core, 0, "mailer");
    connect(core, 0, "biller");
    core.fetch(1, "mailer", "m1", 2, ["invoice"]);
    expect(ids(assigned(take(core)))).toEqual([email]);
    expect(stateOf(core, invoice as number)).toBe("pending");
    expect(ids(fetchJobs(core, 2, "biller"))).toEqual([invoice]);
  });

  it("keeps a worker that skips every ready type waiting, and hands the job to the next worker in line", () => {
    const core = newCore();
    connect(core, 0, "mailer");
    connect(core, 0, "biller");
    core.fetch(1, "mailer", "m1", 1, ["invoice"]);
    core.fetch(2, "biller", "b1", 1);
    const [invoice] = submit(core, 3, [{ type: "invoice" }]);
    expect(take(core).map((e) => (e.type === "assign" ? [e.workerId, ids(e.jobs)] : e.type))).toEqual([["biller", [invoice]]]);
    const [email] = submit(core, 4, [{ type: "email" }]);
    expect(take(core).map((e) => (e.type === "assign" ? [e.workerId, ids(e.jobs)] : e.type))).toEqual([["mailer", [email]]]);
  });

  it("refuses a fetch from a worker that has not said hello", () => {
    const core = newCore();
    const result = core.fetch(0, "stranger", "f", 1);
    expect(result).toMatchObject({ ok: false, code: ErrorCode.helloRequired });
  });
});

describe("putting jobs back", () => {
  it("returns a running job to its original place, at once and as a new attempt, when its worker's connection closes", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, 2);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    expect(ids(fetchJobs(core, 1, "w1"))).toEqual([a]);
    const [c] = submit(core, 2, 1);
    core.disconnectWorker(3, "w1", "connection closed");
    const effects = take(core);
    expect(only(effects, "requeued")).toEqual([expect.objectContaining({ jobId: a, workerId: "w1", attempt: 1, to: "pending" })]);
    expect(stateOf(core, a as number)).toBe("pending");
    const next = fetchJobs(core, 3, "w2", 3);
    expect(ids(next)).toEqual([a, b, c]);
    expect(next[0]?.attempt).toBe(2);
    expect(core.totals.reassigned).toBe(1);
  });

  it("returns a timed-out job to its original place at once, as a new attempt, and tells the old worker to abandon it", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, [{ timeoutMs: 500 }, {}]);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    const [first] = fetchJobs(core, 0, "w1");
    core.touchWorker(499, "w1");
    core.advance(499);
    expect(take(core)).toEqual([]);
    core.advance(500);
    const effects = take(core);
    expect(effects[0]).toEqual({ type: "abandon", workerId: "w1", jobId: a, lease: first?.lease, reason: "timed-out" });
    expect(only(effects, "requeued")).toEqual([expect.objectContaining({ jobId: a, to: "pending" })]);
    const again = fetchJobs(core, 500, "w2", 2);
    expect(ids(again)).toEqual([a, b]);
    expect(again[0]).toMatchObject({ attempt: 2 });
    const view = ok(core.find(a as number));
    expect(view.history?.map((h) => h.outcome)).toEqual(["timed-out", "running"]);
  });

  it("hands a timed-out job straight to a worker already waiting", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ timeoutMs: 100 }]);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    fetchJobs(core, 0, "w1");
    expect(fetchJobs(core, 0, "w2")).toEqual([]);
    core.touchWorker(100, "w1");
    core.advance(100);
    const effects = take(core);
    expect(effects.map((e) => e.type)).toEqual(["abandon", "requeued", "assign"]);
    expect(ids(assigned(effects, "w2"))).toEqual([a]);
  });

  it("puts all jobs of a lost worker back in their original order", () => {
    const core = newCore();
    const jobIds = submit(core, 0, 5);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    fetchJobs(core, 1, "w1", 3);
    core.disconnectWorker(2, "w1", "gone");
    take(core);
    expect(ids(fetchJobs(core, 3, "w2", 5))).toEqual(jobIds);
  });

  it("puts a released job back at its original place without counting the attempt", () => {
    const core = newCore({ defaultMaxAttempts: 1 });
    const [a, b] = submit(core, 0, 2);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 1, "w1");
    expect(core.release(2, "w1", [{ jobId: a as number, lease: held?.lease as number }])).toEqual([]);
    expect(stateOf(core, a as number)).toBe("pending");
    const again = fetchJobs(core, 3, "w1", 2);
    expect(ids(again)).toEqual([a, b]);
    expect(again[0]?.attempt).toBe(1);
    expect(ok(core.find(a as number)).history?.map((h) => h.outcome)).toEqual(["released", "running"]);
  });
});

describe("leases", () => {
  it("gives every assignment a new, increasing lease", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ timeoutMs: 10 }]);
    submit(core, 0, 2);
    connect(core, 0, "w1");
    const leases = fetchJobs(core, 0, "w1", 2).map((x) => x.lease);
    core.touchWorker(10, "w1");
    core.advance(10);
    take(core);
    const again = fetchJobs(core, 10, "w1", 2);
    expect(again[0]?.jobId).toBe(a);
    leases.push(...again.map((x) => x.lease));
    expect(leases).toEqual([...leases].sort((x, y) => x - y));
    expect(new Set(leases).size).toBe(leases.length);
  });

  it("refuses a complete with a stale lease, counts it and changes nothing", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    const [old] = fetchJobs(core, 0, "w1");
    ok(core.connectWorker(1, "w1", ["default"], []));
    take(core);
    const [current] = fetchJobs(core, 2, "w2");
    expect(current?.jobId).toBe(a);
    const refusals = core.complete(3, "w1", [{ jobId: a as number, lease: old?.lease as number, result: "late" }]);
    expect(refusals).toEqual([expect.objectContaining({ jobId: a, code: ErrorCode.staleLease })]);
    expect(core.totals.staleRefused).toBe(1);
    expect(ok(core.find(a as number))).toMatchObject({ state: "running", lease: current?.lease, result: undefined });
    expect(take(core)).toEqual([]);
    expect(core.complete(4, "w2", [{ jobId: a as number, lease: current?.lease as number, result: "ok" }])).toEqual([]);
    expect(ok(core.find(a as number))).toMatchObject({ state: "completed", result: "ok" });
  });

  it("refuses fail, release, extend and progress with a stale lease", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    const stale = (held?.lease as number) + 1;
    const id = a as number;
    expect(core.fail(1, "w1", [{ jobId: id, lease: stale, error: "x" }])[0]?.code).toBe(ErrorCode.staleLease);
    expect(core.release(1, "w1", [{ jobId: id, lease: stale }])[0]?.code).toBe(ErrorCode.staleLease);
    expect(core.extend(1, "w1", id, stale)).toMatchObject({ ok: false, code: ErrorCode.staleLease });
    expect(core.progress(1, "w1", id, stale, { percent: 5 })).toMatchObject({ ok: false, code: ErrorCode.staleLease });
    expect(core.totals.staleRefused).toBe(4);
    expect(ok(core.find(id))).toMatchObject({ state: "running", lease: held?.lease, progress: undefined, attempts: 1 });
  });

  it("refuses a report with the current lease from a worker that does not hold the job", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    const [held] = fetchJobs(core, 0, "w1");
    const refusals = core.complete(1, "w2", [{ jobId: a as number, lease: held?.lease as number }]);
    expect(refusals[0]?.code).toBe(ErrorCode.staleLease);
    expect(stateOf(core, a as number)).toBe("running");
  });

  it("refuses reports about job ids never issued with unknown-job", () => {
    const core = newCore();
    connect(core, 0, "w1");
    expect(core.complete(0, "w1", [{ jobId: 99, lease: 1 }])[0]?.code).toBe(ErrorCode.unknownJob);
    expect(core.totals.staleRefused).toBe(0);
  });

  it("never assigns a completed job again and accepts its completion only once", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    const item = { jobId: a as number, lease: held?.lease as number };
    expect(core.complete(1, "w1", [item])).toEqual([]);
    expect(core.complete(2, "w1", [item])[0]?.code).toBe(ErrorCode.staleLease);
    core.disconnectWorker(3, "w1", "gone");
    connect(core, 4, "w2");
    expect(fetchJobs(core, 5, "w2")).toEqual([]);
    core.advance(1_000_000);
    expect(stateOf(core, a as number)).toBe("completed");
    expect(core.totals.completed).toBe(1);
  });

  it("restarts the run timeout on extend and on progress", () => {
    const core = newCore();
    const [a] = submit(core, 0, [{ timeoutMs: 100 }]);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    const lease = held?.lease as number;
    ok(core.extend(90, "w1", a as number, lease));
    core.touchWorker(180, "w1");
    ok(core.progress(180, "w1", a as number, lease, { percent: 50, message: "half" }));
    core.advance(279);
    expect(ok(core.find(a as number))).toMatchObject({ state: "running", progress: { percent: 50, message: "half" } });
    core.touchWorker(280, "w1");
    core.advance(280);
    expect(only(take(core), "abandon")).toHaveLength(1);
    expect(stateOf(core, a as number)).toBe("pending");
  });
});
