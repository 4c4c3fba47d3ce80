// The hand check of the hot requests against the schemas it stands in for: on values near every
// edge of every field, whatever it accepts the schema accepts and parses to the same value, and in
// the common shapes it accepts everything the schema does (so the fast path is the path taken).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptHotRequest } from "./hot-requests.js";
import { MAX_RUN_AT } from "./job.js";
import { MAX_ATTEMPTS, MAX_DELAY_MS, MAX_DURATION_MS, MAX_FETCH, MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, MAX_PRIORITY, MAX_TIMEOUT_MS, MIN_PRIORITY } from "./limits.js";
import { Request, validateRequest } from "./requests.js";
import { anything, intNear, name, requestId, shape, stringNear, assertHandCheckWithinSchema, cameOffTheWire } from "./test-support/near-edge-values.js";

const RUNS = 20_000;

const jobSpec = fc.oneof(
  { weight: 8, arbitrary: shape({}, {
    queue: name,
    type: name,
    durationMs: intNear(0, MAX_DURATION_MS),
    payload: anything,
    priority: intNear(MIN_PRIORITY, MAX_PRIORITY),
    delayMs: intNear(0, MAX_DELAY_MS),
    runAt: intNear(0, MAX_RUN_AT),
    timeoutMs: intNear(1, MAX_TIMEOUT_MS),
    maxAttempts: intNear(1, MAX_ATTEMPTS),
  }) },
  { weight: 1, arbitrary: fc.constantFrom(null, [], "job", 1) },
);
const completedJob = fc.oneof(
  { weight: 8, arbitrary: shape({ jobId: intNear(1, Number.MAX_SAFE_INTEGER), lease: intNear(1, Number.MAX_SAFE_INTEGER) }, { result: anything }) },
  { weight: 1, arbitrary: fc.constantFrom(null, [], 1) },
);
const jobsOf = (job: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 5, arbitrary: fc.array(job, { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, {}, "jobs") });

const hotMessage = fc.oneof(
  shape({ id: requestId, type: fc.constant("submit"), jobs: jobsOf(jobSpec) }, { key: stringNear(MAX_ID_CHARS), watch: fc.constantFrom(true, false, 1, "true", null) }),
  shape({ id: requestId, type: fc.constant("complete"), jobs: jobsOf(completedJob) }),
  shape({ id: requestId, type: fc.constant("fetch"), max: intNear(1, MAX_FETCH) }, { skipTypes: fc.array(name, { maxLength: 2 }) }),
  shape({ id: requestId, type: fc.constant("heartbeat") }),
);

describe("the hand check of submit, complete, fetch and heartbeat", () => {
  const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)]);

  it("leaves a payload or a result nested past MAX_JSON_DEPTH to validateRequest's depth check", () => {
    // The message, `jobs` and the job take 3 levels: 61 more reach the limit of 64 exactly.
    expect(acceptHotRequest({ id: 1, type: "submit", jobs: [{ payload: nested(61) }] })).toBeDefined();
    expect(acceptHotRequest({ id: 1, type: "submit", jobs: [{ payload: nested(62) }] })).toBeUndefined();
    expect(acceptHotRequest({ id: 1, type: "complete", jobs: [{ jobId: 1, lease: 1, result: nested(61) }] })).toBeDefined();
    expect(acceptHotRequest({ id: 1, type: "complete", jobs: [{ jobId: 1, lease: 1, result: nested(62) }] })).toBeUndefined();
  });

  it("accepts only what the schema accepts, and as the schema parses it", () => {
    assertHandCheckWithinSchema(hotMessage, acceptHotRequest, Request, RUNS);
  });

  it("leaves validateRequest's verdict and refusal exactly the schema's", () => {
    fc.assert(
      fc.property(hotMessage, (value) => {
        const verdict = validateRequest(value);
        const parsed = Request.safeParse(value);
        expect(verdict.ok).toBe(parsed.success);
        if (verdict.ok && parsed.success) expect(verdict.request).toEqual(parsed.data);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it("accepts every common shape the schema accepts that can come off the wire, so the schema is not asked", () => {
    const valid = hotMessage.filter((value) => Request.safeParse(value).success && !("skipTypes" in value) && cameOffTheWire(value));
    fc.assert(
      fc.property(valid, (value) => {
        expect(acceptHotRequest(value)).toBeDefined();
      }),
      { numRuns: RUNS / 20 },
    );
  });

  it("holds at the bound on jobs per message", () => {
    const jobs = (count: number) => Array.from({ length: count }, (_, index) => ({ jobId: index + 1, lease: 1 }));
    expect(acceptHotRequest({ id: 1, type: "complete", jobs: jobs(MAX_JOBS_PER_MESSAGE) })).toBeDefined();
    expect(acceptHotRequest({ id: 1, type: "complete", jobs: jobs(MAX_JOBS_PER_MESSAGE + 1) })).toBeUndefined();
    expect(Request.safeParse({ id: 1, type: "complete", jobs: jobs(MAX_JOBS_PER_MESSAGE + 1) }).success).toBe(false);
  });
});
