// Submission keys, through the core: a resent submission gets the ids of the first one while
// the key is remembered, and new jobs once it has expired or been pushed out.
import { describe, expect, it } from "vitest";
import { newCore, ok, only, submit, take } from "./test-support/core-harness.js";

describe("idempotency keys", () => {
  it("answers a resubmission with the same key with the same ids and creates no jobs", () => {
    const core = newCore();
    const first = submit(core, 0, 3, { key: "k1" });
    const again = submit(core, 10, 3, { key: "k1" });
    expect(again).toEqual(first);
    expect(core.jobCount()).toBe(3);
    expect(core.totals.submitted).toBe(3);
    expect(submit(core, 11, 1, { key: "k2" })).not.toEqual(first);
  });

  it("refuses a key reused with a different body, naming the key, and still answers the same body", () => {
    const core = newCore();
    const first = submit(core, 0, 2, { key: "order-42", bodyDigest: "two jobs" });
    const refusal = core.submit(1, [{}, {}, {}], { key: "order-42", bodyDigest: "three jobs" });
    expect(refusal).toMatchObject({ ok: false, code: "key-conflict", message: expect.stringContaining('"order-42"') });
    expect(core.jobCount()).toBe(2);
    expect(submit(core, 2, 2, { key: "order-42", bodyDigest: "two jobs" })).toEqual(first);
  });

  it("forgets a key after the window, so the same key then submits new jobs", () => {
    const core = newCore({ idempotency: { maxKeys: 100, windowMs: 1_000 } });
    const first = submit(core, 0, 1, { key: "k" });
    expect(core.nextWakeAt()).toBe(1_000);
    expect(submit(core, 999, 1, { key: "k" })).toEqual(first);
    const later = submit(core, 1_000, 1, { key: "k" });
    expect(later).not.toEqual(first);
    expect(core.jobCount()).toBe(2);
  });

  it("forgets the oldest key once more than maxKeys are remembered", () => {
    const core = newCore({ idempotency: { maxKeys: 2, windowMs: 1e9 } });
    const one = submit(core, 0, 1, { key: "one" });
    const two = submit(core, 1, 1, { key: "two" });
    submit(core, 2, 1, { key: "three" });
    expect(core.idempotencyKeyCount()).toBe(2);
    expect(submit(core, 3, 1, { key: "two" })).toEqual(two);
    expect(submit(core, 4, 1, { key: "one" })).not.toEqual(one);
  });

  it("does not remember the key of a refused submission", () => {
    const core = newCore({ maxUnfinishedJobs: 1 });
    submit(core, 0, 1);
    expect(core.submit(1, [{}], { key: "k" }).ok).toBe(false);
    expect(core.idempotencyKeyCount()).toBe(0);
  });

  it("answers a resubmission from the key even when the queue is now full", () => {
    const core = newCore({ maxUnfinishedJobs: 2 });
    const first = submit(core, 0, 2, { key: "k" });
    expect(submit(core, 1, 2, { key: "k" })).toEqual(first);
  });

  it("watches the earlier jobs when a resubmission asks to watch", () => {
    const core = newCore();
    const [a] = submit(core, 0, 1, { key: "k" });
    core.cancel(1, a as number);
    take(core);
    submit(core, 2, 1, { key: "k", watchedBy: 1 });
    expect(only(take(core), "settled")).toEqual([expect.objectContaining({ jobId: a, state: "cancelled" })]);
    expect(ok(core.find(a as number)).state).toBe("cancelled");
  });
});
