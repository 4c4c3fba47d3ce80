// The hand-written frames of the hot messages against encodeFrame: the same text for every value,
// whatever its ids, names, payloads and results hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFrame } from "./framing.js";
import { encodeRequestFrame, encodeServerFrame } from "./hot-frames.js";
import type { RequestBody } from "./replies.js";
import type { ServerMessage } from "./server-messages.js";
import { anything, requestId } from "./test-support/near-edge-values.js";

const RUNS = 20_000;
/** Integers of every size, and now and then a number no schema takes (the text must still agree). */
const number = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
  { weight: 4, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(-0, 1e21, Number.NaN, Infinity) },
);
const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("default", "emails", 'a"b\\c\n', "é\u2028"));
/** Ids as the queue echoes them: a peer's number or string, near every edge. */
const id = requestId.filter((value) => typeof value === "number" || typeof value === "string");
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), arbitrary);

const assignment = fc.record(
  { jobId: number, lease: number, attempt: number, queue: text, type: text, durationMs: number, payload: maybe(anything), timeoutMs: number, maxAttempts: number },
  { requiredKeys: ["jobId", "lease", "attempt", "queue", "type", "durationMs", "timeoutMs", "maxAttempts"] },
);
const settledJob = fc.record(
  { jobId: number, state: fc.constantFrom("completed", "failed", "cancelled"), result: maybe(anything), error: maybe(text) },
  { requiredKeys: ["jobId", "state"] },
);
const refusal = fc.record({ jobId: number, code: fc.constant("stale-lease"), message: text });

const hotReply = fc.oneof(
  fc.record({ id, type: fc.constant("submitted"), jobIds: fc.array(number, { maxLength: 4 }) }),
  fc.record({ id, type: fc.constant("assign"), jobs: fc.array(assignment, { maxLength: 3 }) }),
  fc.record({ id, type: fc.constant("ack"), refused: fc.array(refusal, { maxLength: 2 }) }),
  fc.record({ type: fc.constant("settled"), jobs: fc.array(settledJob, { minLength: 1, maxLength: 3 }) }),
  fc.record({ id, type: fc.constant("heartbeat") }),
) as fc.Arbitrary<ServerMessage>;

describe("encodeServerFrame", () => {
  it("writes the very text encodeFrame makes of submitted, assign, ack, settled and the rest", () => {
    fc.assert(
      fc.property(hotReply, (message) => {
        expect(encodeServerFrame(message)).toBe(encodeFrame(message));
      }),
      { numRuns: RUNS },
    );
  });

  it("leaves out a payload, result or error that is there but undefined, as JSON does", () => {
    const message: ServerMessage = { type: "settled", jobs: [{ jobId: 7, state: "completed", result: undefined, error: undefined }] };
    expect(encodeServerFrame(message)).toBe('{"type":"settled","jobs":[{"jobId":7,"state":"completed"}]}\n');
  });
});

const completedJob = fc.record({ jobId: number, lease: number, result: maybe(anything) }, { requiredKeys: ["jobId", "lease"] });
const hotRequest = fc.oneof(
  fc.record({ type: fc.constant("complete"), jobs: fc.array(completedJob, { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant("fetch"), max: number, skipTypes: fc.array(text, { maxLength: 3 }) }, { requiredKeys: ["type", "max"] }),
  fc.record({ type: fc.constant("fail"), jobs: fc.array(fc.record({ jobId: number, lease: number, error: text }), { minLength: 1, maxLength: 2 }) }),
  fc.record({ type: fc.constant("withdraw") }),
) as fc.Arbitrary<RequestBody>;

describe("encodeRequestFrame", () => {
  it("writes the very text encodeFrame makes of complete, fetch and the rest with their id", () => {
    fc.assert(
      fc.property(id, hotRequest, (requestId, body) => {
        expect(encodeRequestFrame(requestId, body)).toBe(encodeFrame({ id: requestId, ...body }));
      }),
      { numRuns: RUNS },
    );
  });
});
