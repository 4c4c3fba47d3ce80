// The hand check of the hot requests against the schemas it stands in for: on values near every
// edge of every field, whatever it accepts the schema accepts and parses to the same value, and in
// the common shapes it accepts everything the schema does (so the fast path is the path taken).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptHotRequest } from "./hot-requests.js";
import { MAX_NAME_CHARS, MAX_RUN_AT } from "./job.js";
import { MAX_ATTEMPTS, MAX_DELAY_MS, MAX_DURATION_MS, MAX_FETCH, MAX_ID_CHARS, MAX_JOBS_PER_MESSAGE, MAX_PRIORITY, MAX_TIMEOUT_MS, MIN_PRIORITY } from "./limits.js";
import { MAX_REQUEST_ID_CHARS } from "./request-id.js";
import { Request, validateRequest } from "./requests.js";

const RUNS = 20_000;

/** Mostly integers in [min, max], and often the values at and just past its ends, or of other kinds. */
function intNear(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }) },
    { weight: 3, arbitrary: fc.constantFrom(min, max, min - 1, max + 1, -0, 0.5, min + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_SAFE_INTEGER) },
    { weight: 1, arbitrary: fc.constantFrom("1", null, true, [], {}, undefined) },
  );
}

function stringNear(maxChars: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 0, maxLength: 8 }) },
    { weight: 3, arbitrary: fc.constantFrom("", "a".repeat(maxChars), "a".repeat(maxChars + 1), "é".repeat(maxChars), "😀".repeat(maxChars / 2 + 1)) },
    { weight: 1, arbitrary: fc.constantFrom(1, null, undefined, ["a"]) },
  );
}

const name = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/) },
  { weight: 3, arbitrary: fc.constantFrom("a".repeat(MAX_NAME_CHARS), "a".repeat(MAX_NAME_CHARS + 1), "", "a b", "é", "a\n", "emails") },
  { weight: 1, arbitrary: fc.constantFrom(7, null, undefined) },
);
const requestId = fc.oneof(intNear(0, Number.MAX_SAFE_INTEGER), stringNear(MAX_REQUEST_ID_CHARS));
const anything = fc.jsonValue({ maxDepth: 3 });
/** Now and then (one in five): the arbitrary's value; else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const extraField = sometimes(fc.constantFrom("extra", "__proto__", "constructor", "jobId", "type"));
const missingField = sometimes(fc.nat());

/** A record of these fields (the required ones now and then left out), sometimes with one field more. */
function shape(required: Record<string, fc.Arbitrary<unknown>>, optional: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<Record<string, unknown>> {
  const requiredKeys = Object.keys(required);
  return fc.tuple(fc.record({ ...required, ...optional }, { requiredKeys }), missingField, extraField, anything).map(([record, missing, extra, value]) => {
    const fields: Record<string, unknown> = { ...record };
    if (missing !== undefined && requiredKeys.length > 0) delete fields[requiredKeys[missing % requiredKeys.length]!];
    if (extra !== undefined) Object.defineProperty(fields, extra, { value, enumerable: true, writable: true, configurable: true });
    return fields;
  });
}

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
  it("accepts only what the schema accepts, and as the schema parses it", () => {
    let accepted = 0;
    fc.assert(
      fc.property(hotMessage, (value) => {
        const hot = acceptHotRequest(value);
        if (hot === undefined) return;
        accepted += 1;
        const parsed = Request.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(hot).toEqual(parsed.data);
      }),
      { numRuns: RUNS },
    );
    // Most values are wrong somewhere on purpose; enough are whole for the check to have been tried.
    expect(accepted).toBeGreaterThan(RUNS / 20);
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
    const fromTheWire = (value: object) => JSON.stringify(JSON.parse(JSON.stringify(value))) === JSON.stringify(value) && !JSON.stringify(value).includes("null");
    // The schema counts code points where the hand check counts UTF-16 units: surrogate pairs near a bound are left to the schema.
    const withoutPairs = (value: object) => !/[\uD800-\uDFFF]/.test(JSON.stringify(value));
    const valid = hotMessage.filter((value) => Request.safeParse(value).success && !("skipTypes" in value) && fromTheWire(value) && withoutPairs(value));
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
