// The hand check of the hot replies against the schemas it stands in for: whatever it accepts the
// schema accepts and parses to the same value, and in the wire's common shapes it accepts all the
// schema does, so a client's or worker's parse of them is the hand check's.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptHotServerMessage } from "./hot-server-messages.js";
import { ServerMessage, parseServerMessage } from "./server-messages.js";
import { anything, intNear, name, oneOff, requestId, shape, assertHandCheckWithinSchema, cameOffTheWire } from "./test-support/near-edge-values.js";

const RUNS = 20_000;
const jobId = intNear(1, Number.MAX_SAFE_INTEGER);
const listOf = (item: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 5, arbitrary: fc.array(item, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, {}, "jobs") });

const positive = fc.integer({ min: 1, max: 1_000 });
const wellFormedAssignment = {
  jobId: positive,
  lease: positive,
  attempt: positive,
  queue: fc.constant("default"),
  type: fc.constant("sleep"),
  durationMs: fc.nat(1_000),
  timeoutMs: positive,
  maxAttempts: positive,
};
const assignment = fc.oneof(
  { weight: 4, arbitrary: oneOff({ ...wellFormedAssignment, payload: anything }, { payload: anything, extra: anything }) },
  { weight: 4, arbitrary: oneOff(wellFormedAssignment, { jobId, lease: jobId, attempt: intNear(1, 100), queue: name, type: name, durationMs: intNear(0, 1_000), timeoutMs: intNear(-1, 1_000), maxAttempts: intNear(-1, 100), extra: anything }) },
  { weight: 1, arbitrary: fc.constantFrom(null, [], 1) },
);
const refusal = shape({ jobId, code: fc.constantFrom("stale-lease", "no-such-code"), message: fc.string() });

const settledJob = fc.oneof(
  { weight: 4, arbitrary: oneOff({ jobId: positive, state: fc.constantFrom("completed", "failed", "cancelled"), result: anything, error: fc.string() }, { jobId, state: fc.constantFrom("running", "done"), result: anything, error: anything, extra: anything }) },
  { weight: 1, arbitrary: fc.constantFrom(null, [], 1) },
);

const hotReply = fc.oneof(
  shape({ id: requestId, type: fc.constant("submitted"), jobIds: listOf(jobId) }),
  shape({ type: fc.constant("settled"), jobs: listOf(settledJob) }),
  shape({ id: requestId, type: fc.constant("assign"), jobs: listOf(assignment) }),
  shape({ id: requestId, type: fc.constant("ack"), refused: listOf(refusal) }),
  shape({ id: requestId, type: fc.constant("heartbeat") }),
);

describe("the hand check of submitted, assign, ack, heartbeat and settled", () => {
  it("accepts only what the schema accepts, and as the schema parses it", () => {
    assertHandCheckWithinSchema(hotReply, acceptHotServerMessage, ServerMessage, RUNS);
  });

  it("leaves parseServerMessage's verdict the schema's", () => {
    fc.assert(
      fc.property(hotReply, (value) => {
        const frame = JSON.stringify(value);
        const verdict = parseServerMessage(frame);
        const parsed = ServerMessage.safeParse(JSON.parse(frame));
        expect(verdict.ok).toBe(parsed.success);
        if (verdict.ok && parsed.success) expect(verdict.message).toEqual(parsed.data);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it("accepts every common shape the schema accepts unchanged that can come off the wire", () => {
    const unchanged = (value: object) => {
      const parsed = ServerMessage.safeParse(value);
      return parsed.success && isDeepStrictEqual(parsed.data, value);
    };
    const refusesNothing = (value: Record<string, unknown>) => value.type !== "ack" || (Array.isArray(value.refused) && value.refused.length === 0);
    const valid = hotReply.filter((value) => unchanged(value) && cameOffTheWire(value) && refusesNothing(value));
    fc.assert(
      fc.property(valid, (value) => {
        expect(acceptHotServerMessage(value)).toBeDefined();
      }),
      { numRuns: RUNS / 20 },
    );
  });
});
