// The invariant checker must actually catch broken books, or every test that relies on it is hollow.
import { describe, expect, it } from "vitest";
import { checkInvariants } from "./invariants.js";
import { connect, fetchJobs, newCore, ok, submit } from "./test-support/core-harness.js";

describe("checkInvariants", () => {
  it("passes on a core in ordinary use", () => {
    const core = newCore();
    submit(core, 0, [{}, { delayMs: 10 }, { queue: "b" }]);
    connect(core, 0, "w1", ["default", "b"]);
    fetchJobs(core, 0, "w1");
    expect(() => checkInvariants(core)).not.toThrow();
  });

  it("throws when a count disagrees with the records", () => {
    const core = newCore();
    submit(core, 0, 2);
    core.counts.pending += 1;
    expect(() => checkInvariants(core)).toThrow(/counts pending/);
  });

  it("throws when a running job names no worker holding it", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    fetchJobs(core, 0, "w1");
    core.workerList()[0]?.running.clear();
    expect(() => checkInvariants(core)).toThrow(new RegExp(`running job ${a}`));
  });

  it("throws when a job records two completed attempts", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.complete(1, "w1", [{ jobId: a as number, lease: held?.lease as number }]);
    const job = ok(core.find(a as number));
    job.history?.push({ ...(job.history[0] as NonNullable<typeof job.currentAttempt>) });
    expect(() => checkInvariants(core)).toThrow(/completed 2 times/);
  });
});
