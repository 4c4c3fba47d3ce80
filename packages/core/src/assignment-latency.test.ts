// The wait from ready to assigned, as the histogram counts it: from submit, from being put back,
// and from falling due, never from an earlier moment in the job's life. Time is the `now` argument.
import { describe, expect, it } from "vitest";
import { AssignmentLatency, assignmentLatencyBoundsMs } from "./assignment-latency.js";
import { connect, fetchJobs, newCore, ok, submit } from "./test-support/core-harness.js";

/** The bucket index a wait of `ms` falls in. */
const bucketOf = (ms: number) => {
  const index = assignmentLatencyBoundsMs.findIndex((bound) => ms <= bound);
  return index === -1 ? assignmentLatencyBoundsMs.length : index;
};

describe("assignment latency", () => {
  it("puts each wait in the first bucket whose bound it does not pass, and the rest past the last", () => {
    const latency = new AssignmentLatency();
    for (const ms of [0, 1, 2, 1_000, 1_001, 10_000_000]) latency.record(ms);
    expect(latency.counts[0]).toBe(2);
    expect(latency.counts[1]).toBe(1);
    expect(latency.counts[bucketOf(1_000)]).toBe(1);
    expect(latency.counts[bucketOf(1_001)]).toBe(1);
    expect(latency.counts[assignmentLatencyBoundsMs.length]).toBe(1);
    expect(latency.count).toBe(6);
    expect(latency.sumMs).toBe(10_002_004);
  });

  it("measures a submitted job's wait from its submission", () => {
    const core = newCore();
    submit(core, 1_000, 1);
    connect(core, 1_000, "w1");
    fetchJobs(core, 1_040, "w1");
    expect(core.assignmentLatency.count).toBe(1);
    expect(core.assignmentLatency.sumMs).toBe(40);
  });

  it("measures a job put back after its worker was lost from the moment it was put back", () => {
    const core = newCore();
    submit(core, 0, 1);
    connect(core, 0, "w1");
    fetchJobs(core, 0, "w1");
    core.disconnectWorker(5_000, "w1", "connection closed");
    connect(core, 5_000, "w2");
    fetchJobs(core, 5_300, "w2");
    expect(core.assignmentLatency.count).toBe(2);
    expect(core.assignmentLatency.sumMs).toBe(300);
  });

  it("measures a delayed job's wait from when it fell due, and a retried job's from the retry", () => {
    const core = newCore();
    const [delayed] = submit(core, 0, [{ delayMs: 2_000 }]);
    connect(core, 2_005, "w1");
    fetchJobs(core, 2_010, "w1");
    expect(core.assignmentLatency.sumMs).toBe(10);

    ok(core.cancel(3_000, delayed as number));
    ok(core.retry(9_000, delayed as number));
    connect(core, 9_000, "w2");
    fetchJobs(core, 9_025, "w2");
    expect(core.assignmentLatency.count).toBe(2);
    expect(core.assignmentLatency.sumMs).toBe(35);
  });
});
