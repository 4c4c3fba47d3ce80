// A worker's liveness connection: a second connection of the worker's session, bound by the
// token its welcome carried, whose beats keep the session alive and to which abandons also go.
// The core keeps which connections belong to a session, and ends a liveness connection with it.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import type { QueueCore } from "./queue-core.js";
import { fetchJobs, newCore, ok, only, stateOf, submit, take } from "./test-support/core-harness.js";

const WORKER_CONN = 10;
const LIVENESS_CONN = 20;
const matches = (given: string) => (token: string) => token === given;

/** w1 on connection 10, welcomed with token "t1", its liveness connection 20 bound. */
function boundSession(core: QueueCore, now = 0): void {
  ok(core.connectWorker(now, "w1", ["default"], [], WORKER_CONN, "t1"));
  ok(core.bindLiveness(now, "w1", LIVENESS_CONN, matches("t1")));
}

describe("a liveness connection", () => {
  it("keeps its worker alive by its beats while the worker's own connection is silent", () => {
    const core = newCore(); // heartbeat timeout 1000
    const [a] = submit(core, 0, 1);
    boundSession(core);
    fetchJobs(core, 0, "w1");
    for (let now = 400; now <= 4_000; now += 400) {
      core.heardOn(now, LIVENESS_CONN);
      core.advance(now);
    }
    expect(take(core)).toEqual([]);
    expect(stateOf(core, a as number)).toBe("running");
    core.advance(5_001);
    expect(take(core).map((e) => e.type)).toEqual(["worker-lost", "liveness-ended", "requeued"]);
  });

  it("keeps the shell's pass for a worker connection it does not read from masking a silent liveness connection", () => {
    // The shell stops reading workers' connections while its journal's disk is behind and vouches
    // for them: a worker with only its own connection survives that; one whose liveness
    // connection falls silent meanwhile is lost as usual, since that connection is still read.
    const core = newCore(); // heartbeat timeout 1000
    ok(core.connectWorker(0, "plain", ["default"], [], 30, "t0"));
    boundSession(core);
    for (let now = 400; now <= 4_000; now += 400) {
      core.vouchFor(now, 30);
      core.vouchFor(now, WORKER_CONN);
      core.advance(now);
    }
    expect(take(core).filter((e) => e.type === "worker-lost").map((e) => (e as { workerId: string }).workerId)).toEqual(["w1"]);
    expect(core.workerOn(30)).toBe("plain");
  });

  it("is refused without the session's token, for a worker that is not connected, or with no worker named", () => {
    const core = newCore();
    ok(core.connectWorker(0, "w1", ["default"], [], WORKER_CONN, "t1"));
    expect(core.bindLiveness(1, "w1", LIVENESS_CONN, matches("guess"))).toMatchObject({ ok: false, code: ErrorCode.unknownSession });
    expect(core.bindLiveness(1, "w2", LIVENESS_CONN, matches("t1"))).toMatchObject({ ok: false, code: ErrorCode.unknownSession });
    expect(core.bindLiveness(1, undefined, LIVENESS_CONN, matches("t1"))).toMatchObject({ ok: false, code: ErrorCode.unknownSession });
    core.heardOn(900, LIVENESS_CONN);
    core.advance(1_001);
    expect(only(take(core), "worker-lost")).toHaveLength(1);
  });

  it("gets a running job's abandon as well as the worker's own connection", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    boundSession(core);
    const [held] = fetchJobs(core, 0, "w1");
    ok(core.cancel(1, a as number));
    expect(only(take(core), "abandon")).toEqual([
      { type: "abandon", connectionId: WORKER_CONN, livenessConnectionId: LIVENESS_CONN, workerId: "w1", jobId: a, lease: held?.lease, reason: "cancelled" },
    ]);
  });

  it("is ended when its worker's connection closes", () => {
    const core = newCore();
    boundSession(core);
    expect(core.closeConnection(1, WORKER_CONN)).toEqual({ workerId: "w1", left: false });
    expect(take(core)).toEqual([{ type: "liveness-ended", connectionId: LIVENESS_CONN, workerId: "w1" }]);
    expect(core.workerList()).toEqual([]);
  });

  it("is ended when its worker says hello again, whose new token binds the next one and the old token nothing", () => {
    const core = newCore();
    boundSession(core);
    ok(core.connectWorker(1, "w1", ["default"], [], 11, "t2"));
    expect(take(core)).toEqual([
      { type: "worker-replaced", connectionId: WORKER_CONN, workerId: "w1" },
      { type: "liveness-ended", connectionId: LIVENESS_CONN, workerId: "w1" },
    ]);
    expect(core.bindLiveness(2, "w1", 21, matches("t1"))).toMatchObject({ ok: false, code: ErrorCode.unknownSession });
    ok(core.bindLiveness(2, "w1", 21, matches("t2")));
    expect(take(core)).toEqual([]);
  });

  it("is ended when a newer liveness connection binds the same session", () => {
    const core = newCore();
    boundSession(core);
    ok(core.bindLiveness(1, "w1", 21, matches("t1")));
    expect(take(core)).toEqual([{ type: "liveness-ended", connectionId: LIVENESS_CONN, workerId: "w1" }]);
  });

  it("that closes stops vouching, and the worker lives on its own beats, then dies of its own silence", () => {
    const core = newCore();
    boundSession(core);
    expect(core.closeConnection(500, LIVENESS_CONN)).toBeUndefined();
    expect(take(core)).toEqual([]);
    core.heardOn(900, WORKER_CONN);
    core.heardOn(950, LIVENESS_CONN);
    core.advance(1_800);
    expect(take(core)).toEqual([]);
    core.advance(1_901);
    expect(take(core)).toEqual([{ type: "worker-lost", connectionId: WORKER_CONN, workerId: "w1" }]);
  });
});
