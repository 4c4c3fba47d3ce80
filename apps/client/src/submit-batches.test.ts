import { encodeFrame, type JobSpec } from "@djq/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitIntoBatches, submitFrame } from "./submit-batches.js";

describe("splitIntoBatches", () => {
  it("keeps a small submission in one message with the caller's key unchanged", () => {
    const batches = splitIntoBatches([{}, {}], { maxFrameBytes: 1_000_000 }, "k");
    expect(batches).toEqual([{ key: "k", jobs: [{}, {}], jobsJson: "{},{}" }]);
  });

  it("caps the jobs per message and numbers the caller's key per message", () => {
    const batches = splitIntoBatches([{}, {}, {}, {}, {}], { maxJobs: 2, maxFrameBytes: 1_000_000 }, "k");
    expect(batches.map((b) => [b.key, b.jobs.length])).toEqual([
      ["k#0", 2],
      ["k#1", 2],
      ["k#2", 1],
    ]);
  });

  it("gives every message its own random key when the caller gave none", () => {
    const keys = splitIntoBatches([{}, {}, {}], { maxJobs: 1, maxFrameBytes: 1_000_000 }).map((b) => b.key);
    expect(new Set(keys).size).toBe(3);
  });

  it("cuts by bytes so a message never reaches the frame limit", () => {
    const job = { payload: "x".repeat(200) };
    const batches = splitIntoBatches(Array(20).fill(job), { maxFrameBytes: 1_536 });
    for (const batch of batches) expect(Buffer.byteLength(submitFrame(2 ** 53 - 1, batch, true))).toBeLessThan(1_536);
    expect(batches.flatMap((b) => b.jobs)).toHaveLength(20);
  });

  it("refuses a job that can never fit in a frame", () => {
    expect(() => splitIntoBatches([{ payload: "x".repeat(2_000) }], { maxFrameBytes: 1_024 })).toThrow(/jobs\[0\] is \d+ bytes/);
  });

  it("refuses a key that would pass 128 characters", () => {
    expect(() => splitIntoBatches([{}, {}], { maxJobs: 1, maxFrameBytes: 1_000_000 }, "k".repeat(127))).toThrow(/1 to 128/);
  });
});

describe("submitFrame", () => {
  it("makes the text encodeFrame makes of the same submit, for any jobs, key and watch flag", () => {
    const spec = fc.record(
      { queue: fc.string(), type: fc.string(), durationMs: fc.nat(), payload: fc.jsonValue() },
      { requiredKeys: [] },
    ) as fc.Arbitrary<JobSpec>;
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 128, unit: "grapheme" }), fc.nat(), fc.boolean(), (jobs, key, id, watch) => {
        const [batch] = splitIntoBatches(jobs, { maxFrameBytes: 1_000_000 }, key);
        if (batch === undefined) throw new Error("no batch");
        const body = { id, type: "submit", jobs, key: batch.key, ...(watch ? { watch: true } : {}) };
        expect(submitFrame(id, batch, watch)).toBe(encodeFrame(body));
      }),
    );
  });
});
