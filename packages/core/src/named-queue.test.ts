// Priorities, named queues and pausing, seen through the core: which job a worker gets when
// several levels or several queues have work.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import { assigned, connect, fetchJobs, ids, newCore, ok, stateOf, submit, take } from "./test-support/core-harness.js";

describe("priorities", () => {
  it("hands out priority 9 first and keeps first-come-first-served within a level", () => {
    const core = newCore();
    const [low, midA, high, midB, lowest] = submit(core, 0, [
      { priority: 2 },
      { priority: 5 },
      { priority: 9 },
      { priority: 5 },
      { priority: 1 },
    ]);
    connect(core, 0, "w1");
    expect(ids(fetchJobs(core, 0, "w1", 10))).toEqual([high, midA, midB, low, lowest]);
  });

  it("still moves a lower level when the higher ones are empty", () => {
    const core = newCore();
    const [low] = submit(core, 0, [{ priority: 1 }]);
    connect(core, 0, "w1");
    const [first] = fetchJobs(core, 0, "w1");
    expect(first?.jobId).toBe(low);
    const [high, low2] = submit(core, 1, [{ priority: 9 }, { priority: 1 }]);
    expect(ids(fetchJobs(core, 2, "w1", 1))).toEqual([high]);
    expect(ids(fetchJobs(core, 3, "w1", 1))).toEqual([low2]);
  });

  it("defaults to priority 5", () => {
    const core = newCore();
    const [dflt, six] = submit(core, 0, [{}, { priority: 6 }]);
    connect(core, 0, "w1");
    expect(ids(fetchJobs(core, 0, "w1", 2))).toEqual([six, dflt]);
    expect(ok(core.find(dflt as number)).priority).toBe(5);
  });

  it("puts a requeued job back at its place within its own level", () => {
    const core = newCore();
    const [a, b] = submit(core, 0, [{ priority: 3 }, { priority: 3 }]);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    fetchJobs(core, 0, "w1");
    const [c, high] = submit(core, 1, [{ priority: 3 }, { priority: 8 }]);
    core.disconnectWorker(2, "w1", "gone");
    take(core);
    expect(ids(fetchJobs(core, 3, "w2", 4))).toEqual([high, a, b, c]);
  });
});

describe("named queues", () => {
  it("takes the queues a worker serves in turn when both have a backlog", () => {
    const core = newCore();
    const inA = submit(core, 0, [{ queue: "a" }, { queue: "a" }, { queue: "a" }, { queue: "a" }]);
    const inB = submit(core, 0, [{ queue: "b" }, { queue: "b" }]);
    connect(core, 0, "w1", ["a", "b"]);
    const one = fetchJobs(core, 1, "w1", 4);
    expect(ids(one)).toEqual([inA[0], inB[0], inA[1], inB[1]]);
    expect(ids(fetchJobs(core, 2, "w1", 4))).toEqual([inA[2], inA[3]]);
  });

  it("never lets a busy queue starve another queue the worker serves", () => {
    const core = newCore();
    connect(core, 0, "w1", ["busy", "quiet"]);
    const [quiet] = submit(core, 0, [{ queue: "quiet" }]);
    submit(core, 0, [{ queue: "busy" }, { queue: "busy" }]);
    const taken: number[] = [];
    for (let t = 1; t <= 4; t += 1) {
      submit(core, t, [{ queue: "busy" }]);
      taken.push(...ids(fetchJobs(core, t, "w1", 1)));
      if (taken.includes(quiet as number)) break;
    }
    expect(taken.indexOf(quiet as number)).toBeLessThanOrEqual(1);
  });

  it("gives a job to the worker waiting on its queue, not to an earlier waiter on another queue", () => {
    const core = newCore();
    connect(core, 0, "wa", ["a"]);
    connect(core, 0, "wb", ["b"]);
    fetchJobs(core, 1, "wa");
    fetchJobs(core, 2, "wb");
    const [job] = submit(core, 3, [{ queue: "b" }]);
    const effects = take(core);
    expect(ids(assigned(effects, "wb"))).toEqual([job]);
    expect(assigned(effects, "wa")).toEqual([]);
  });

  it("answers a worker waiting on two queues from whichever gets a job", () => {
    const core = newCore();
    connect(core, 0, "w1", ["a", "b"]);
    fetchJobs(core, 0, "w1");
    const [job] = submit(core, 1, [{ queue: "b" }]);
    expect(ids(assigned(take(core), "w1"))).toEqual([job]);
  });

  it("refuses a new queue past maxQueues with queue-full", () => {
    const core = newCore({ maxQueues: 2 });
    submit(core, 0, [{ queue: "a" }, { queue: "b" }]);
    expect(core.submit(0, [{ queue: "c" }])).toMatchObject({ ok: false, code: ErrorCode.queueFull });
    expect(core.connectWorker(0, "w1", ["a", "c"])).toMatchObject({ ok: false, code: ErrorCode.queueFull });
    expect(core.jobCount()).toBe(2);
  });
});

describe("pause and resume", () => {
  it("assigns nothing from a paused queue and dispatches to waiting workers on resume", () => {
    const core = newCore();
    ok(core.pause(0, "default", true));
    const [a, b] = submit(core, 0, 2);
    connect(core, 0, "w1");
    expect(fetchJobs(core, 1, "w1", 5)).toEqual([]);
    expect(stateOf(core, a as number)).toBe("pending");
    ok(core.resume(2, "default"));
    expect(ids(assigned(take(core), "w1"))).toEqual([a, b]);
  });

  it("refuses to pause or resume a queue that does not exist unless asked to create it", () => {
    const core = newCore();
    expect(core.pause(0, "nosuchqueue")).toMatchObject({ ok: false, code: "unknown-queue", message: expect.stringContaining('"nosuchqueue"') });
    expect(core.resume(0, "nosuchqueue")).toMatchObject({ ok: false, code: "unknown-queue" });
    expect(core.queueList()).toEqual([]);
    ok(core.pause(1, "nosuchqueue", true));
    expect(core.queueList().map((q) => [q.name, q.paused])).toEqual([["nosuchqueue", true]]);
    ok(core.resume(2, "nosuchqueue"));
    expect(core.queueList()).toEqual([]);
  });

  it("forgets a queue once it holds no job, is not paused and no worker serves it, so its name stops counting", () => {
    const core = newCore({ maxQueues: 2, retention: { maxJobs: 0, maxAgeMs: 1e9 }, heartbeatTimeoutMs: 1e9 });
    const [a] = submit(core, 0, [{ queue: "a" }]);
    submit(core, 0, [{ queue: "b", delayMs: 1e6 }]);
    expect(core.submit(0, [{ queue: "c" }])).toMatchObject({ ok: false, code: "queue-full" });
    ok(core.cancel(1, a as number));
    core.advance(1); // retention keeps no settled job: "a" is empty
    expect(core.queueList().map((q) => q.name)).toEqual(["b"]);
    ok(core.connectWorker(2, "w1", ["c"]));
    expect(core.queueList().map((q) => q.name)).toEqual(["b", "c"]);
    core.disconnectWorker(3, "w1", "gone");
    expect(core.queueList().map((q) => q.name)).toEqual(["b"]);
    submit(core, 4, [{ queue: "d" }]);
    expect(core.queueList().map((q) => q.name)).toEqual(["b", "d"]);
  });

  it("keeps serving a worker's other queues while one is paused", () => {
    const core = newCore();
    const [inA, inB] = submit(core, 0, [{ queue: "a" }, { queue: "b" }]);
    ok(core.pause(0, "a"));
    connect(core, 0, "w1", ["a", "b"]);
    expect(ids(fetchJobs(core, 1, "w1", 5))).toEqual([inB]);
    expect(stateOf(core, inA as number)).toBe("pending");
    expect(core.queueList().find((q) => q.name === "a")?.paused).toBe(true);
  });

  it("does not give a put-back job to a worker waiting on a paused queue", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    connect(core, 0, "w2");
    fetchJobs(core, 0, "w1");
    fetchJobs(core, 0, "w2");
    ok(core.pause(1, "default"));
    core.disconnectWorker(2, "w1", "gone");
    expect(assigned(take(core))).toEqual([]);
    expect(stateOf(core, a as number)).toBe("pending");
  });
});
