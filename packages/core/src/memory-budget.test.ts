// The memory budget through the core: every job's record, payload and result count against one
// limit; submissions past it are refused, retained jobs make room oldest first, results are capped,
// and assign batches are cut by bytes as well as count.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@djq/protocol";
import { ASSIGNMENT_OVERHEAD_BYTES } from "./encoded-size.js";
import { JOB_RECORD_BYTES } from "./memory-budget.js";
import { listJobs } from "./views.js";
import { connect, fetchJobs, newCore, ok, take } from "./test-support/core-harness.js";

const memory = (maxBytes: number, maxResultBytes = 1_000) => ({ memory: { maxBytes, maxResultBytes } });

describe("the memory budget", () => {
  it("refuses a submission that would pass the budget as queue-full, all or nothing, and says why", () => {
    const core = newCore(memory(3 * JOB_RECORD_BYTES + 10_000));
    ok(core.submit(0, [{ payload: "a" }, { payload: "b" }], { payloadBytes: [4_000, 4_000] }));
    const refused = core.submit(1, [{ payload: "c" }, {}], { payloadBytes: [4_000, 0] });
    expect(refused).toMatchObject({ ok: false, code: ErrorCode.queueFull, message: expect.stringContaining("memory budget") });
    expect(core.memory.heldBytes).toBe(2 * JOB_RECORD_BYTES + 8_000);
    expect(core.counts.pending).toBe(2);
    take(core);
  });

  it("evicts the oldest settled jobs first to make room for a submission, never an unfinished one", () => {
    const core = newCore({ ...memory(3 * (JOB_RECORD_BYTES + 1_000)), retention: { maxJobs: 100, maxAgeMs: 1e9 } });
    const [a, b, c] = ok(core.submit(0, [{}, {}, {}], { payloadBytes: [1_000, 1_000, 1_000] }));
    core.cancel(1, a as number);
    core.cancel(2, b as number);
    ok(core.submit(3, [{}], { payloadBytes: [1_000] }));
    expect(core.find(a as number)).toMatchObject({ ok: false, code: ErrorCode.jobExpired });
    expect(ok(core.find(b as number)).state).toBe("cancelled");
    expect(ok(core.find(c as number)).state).toBe("pending");
    expect(core.submit(4, [{}, {}], { payloadBytes: [1_000, 1_000] })).toMatchObject({ ok: false, code: ErrorCode.queueFull });
    expect(ok(core.find(c as number)).state).toBe("pending");
    take(core);
  });

  it("counts a result when its job completes, refuses one above the result cap, and gives every byte back when the job leaves retention", () => {
    const core = newCore({ ...memory(1e9, 500), retention: { maxJobs: 0, maxAgeMs: 1e9 }, heartbeatTimeoutMs: 1e9 });
    ok(core.submit(0, [{}, {}], { payloadBytes: [300, 0] }));
    connect(core, 0, "w");
    const [first, second] = fetchJobs(core, 0, "w", 2);
    const refusals = core.complete(
      1,
      "w",
      [
        { jobId: first?.jobId as number, lease: first?.lease as number, result: "big" },
        { jobId: second?.jobId as number, lease: second?.lease as number, result: "ok" },
      ],
      [501, 4],
    );
    expect(refusals).toMatchObject([{ jobId: first?.jobId, code: ErrorCode.resultTooLarge }]);
    expect(ok(core.find(first?.jobId as number)).state).toBe("running");
    take(core);
    core.complete(2, "w", [{ jobId: first?.jobId as number, lease: first?.lease as number }], [500]);
    core.advance(3);
    expect(core.memory.heldBytes).toBe(0);
    take(core);
  });

  it("cuts an assign batch where the next job would pass the frame, keeping the rest in their places", () => {
    const core = newCore({ maxAssignBytes: 3 * (ASSIGNMENT_OVERHEAD_BYTES + 10_000) });
    const jobIds = ok(core.submit(0, [{}, {}, {}, {}, {}], { payloadBytes: [10_000, 10_000, 10_000, 10_000, 10_000] }));
    connect(core, 0, "w");
    expect(fetchJobs(core, 0, "w", 5).map((a) => a.jobId)).toEqual(jobIds.slice(0, 3));
    expect(fetchJobs(core, 0, "w", 5).map((a) => a.jobId)).toEqual(jobIds.slice(3));
  });

  it("ends a list page at the first job the shell says does not fit, and pages on from there", () => {
    const core = newCore();
    const jobIds = ok(core.submit(0, [{}, {}, {}, {}]));
    let room = 2;
    const page = ok(listJobs(core, { state: "pending", limit: 10 }, () => room-- > 0));
    expect(page.next).toBeDefined();
    expect(page.jobs.map((j) => j.jobId)).toEqual(jobIds.slice(0, 2));
    expect(ok(listJobs(core, { state: "pending", after: page.next })).jobs.map((j) => j.jobId)).toEqual(jobIds.slice(2));
  });
});
