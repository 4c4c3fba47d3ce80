// Submission keys, through the core: a resent submission gets the ids of the first one while
// the key is remembered, and new jobs once it has expired or been pushed out.
import { describe, expect, it } from "vitest";
import { IdempotencyKeys } from "./idempotency.js";
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

describe("the table of keys", () => {
  it("evicts by the time a key was last remembered, passing over the place it held before", () => {
    const keys = new IdempotencyKeys({ maxKeys: 2, windowMs: 1_000 });
    keys.remember("a", [1], "", 0);
    keys.remember("b", [2], "", 1);
    keys.remember("a", [3], "", 2);
    keys.remember("c", [4], "", 3);
    expect([...keys.entries()].map(([key, entry]) => [key, entry.jobIds])).toEqual([["a", [3]], ["c", [4]]]);
    expect(keys.nextExpiryAt()).toBe(1_002);
    keys.evict(1_002);
    expect([...keys.entries()].map(([key]) => key)).toEqual(["c"]);
  });

  it("expires keys oldest first and says when the next one expires, however many came and went before", () => {
    const keys = new IdempotencyKeys({ maxKeys: 1_000_000, windowMs: 100 });
    for (let at = 0; at < 5_000; at += 1) {
      keys.remember(`k${at}`, [at + 1], "", at);
      expect(keys.size).toBe(Math.min(at + 1, 100));
      expect(keys.nextExpiryAt()).toBe(Math.max(0, at - 99) + 100);
    }
    expect(keys.lookup("k4899")).toBeUndefined();
    expect(keys.lookup("k4900")?.jobIds).toEqual([4_901]);
  });

  it("costs each submit past a full table one step, not a walk over every key evicted before it", () => {
    // A Map walked from its front steps over the gap each deleted key left: 200,000 submits past a
    // full table of 100,000 keys took tens of seconds that way, and take milliseconds now.
    const keys = new IdempotencyKeys({ maxKeys: 100_000, windowMs: 60_000 });
    const startedAt = performance.now();
    for (let n = 0; n < 300_000; n += 1) {
      keys.remember(`key-${n}`, [n + 1], "", 0);
      keys.nextExpiryAt();
    }
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    expect(keys.size).toBe(100_000);
    expect(keys.lookup("key-199999")).toBeUndefined();
    expect(keys.lookup("key-200000")?.jobIds).toEqual([200_001]);
  });
});
