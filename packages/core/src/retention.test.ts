// Settled jobs are kept for look-ups within limits, through the core: past maxJobs or maxAgeMs
// they are dropped, and a look-up then says job-expired rather than unknown-job.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import { connect, fetchJobs, newCore, ok, submit } from "./test-support/core-harness.js";

describe("retention", () => {
  it("drops the oldest settled jobs past maxJobs and says job-expired for them", () => {
    const core = newCore({ retention: { maxJobs: 2, maxAgeMs: 1e9 } });
    const jobIds = submit(core, 0, 4);
    for (const [i, id] of jobIds.slice(0, 3).entries()) core.cancel(i + 1, id);
    core.advance(10);
    expect(core.find(jobIds[0] as number)).toMatchObject({ ok: false, code: ErrorCode.jobExpired });
    expect(ok(core.find(jobIds[1] as number)).state).toBe("cancelled");
    expect(ok(core.find(jobIds[3] as number)).state).toBe("pending");
    expect(core.retainedCount()).toBe(2);
    expect(core.counts.cancelled).toBe(2);
    expect(core.find(99)).toMatchObject({ ok: false, code: ErrorCode.unknownJob });
    expect(core.find(0)).toMatchObject({ ok: false, code: ErrorCode.unknownJob });
  });

  it("drops settled jobs maxAgeMs after they settled and wakes the shell for it", () => {
    const core = newCore({ retention: { maxJobs: 100, maxAgeMs: 1_000 }, heartbeatTimeoutMs: 1e9 });
    const [a, b] = submit(core, 0, 2);
    connect(core, 0, "w1");
    const [held] = fetchJobs(core, 0, "w1");
    core.complete(100, "w1", [{ jobId: a as number, lease: held?.lease as number }]);
    expect(core.nextWakeAt()).toBe(1_100);
    core.advance(1_099);
    expect(ok(core.find(a as number)).state).toBe("completed");
    core.advance(1_100);
    expect(core.find(a as number)).toMatchObject({ ok: false, code: ErrorCode.jobExpired });
    expect(ok(core.find(b as number)).state).toBe("pending");
  });

  it("never drops unfinished jobs, however many there are", () => {
    const core = newCore({ retention: { maxJobs: 1, maxAgeMs: 1 } });
    const jobIds = submit(core, 0, 5);
    core.advance(1e6);
    for (const id of jobIds) expect(ok(core.find(id)).state).toBe("pending");
  });

  it("takes a retried job out of retention so it is not dropped while it runs again", () => {
    const core = newCore({ retention: { maxJobs: 100, maxAgeMs: 1_000 } });
    const [a] = submit(core, 0, 1);
    core.cancel(0, a as number);
    ok(core.retry(500, a as number));
    expect(core.retainedCount()).toBe(0);
    core.advance(5_000);
    expect(ok(core.find(a as number)).state).toBe("pending");
  });
});
