// Values near every edge of a field, for property tests of the hand checks against the schemas:
// mostly well-formed, often at or just past a bound, now and then of another kind or missing.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { expect } from "vitest";
import { MAX_NAME_CHARS } from "../job.js";
import { MAX_REQUEST_ID_CHARS } from "../request-id.js";

/** Mostly integers in [min, max], and often the values at and just past its ends, or of other kinds. */
export function intNear(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }) },
    { weight: 3, arbitrary: fc.constantFrom(min, max, min - 1, max + 1, -0, 0.5, min + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_SAFE_INTEGER) },
    { weight: 1, arbitrary: fc.constantFrom("1", null, true, [], {}, undefined) },
  );
}

export function stringNear(maxChars: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 0, maxLength: 8 }) },
    { weight: 3, arbitrary: fc.constantFrom("", "a".repeat(maxChars), "a".repeat(maxChars + 1), "é".repeat(maxChars), "😀".repeat(maxChars / 2 + 1)) },
    { weight: 1, arbitrary: fc.constantFrom(1, null, undefined, ["a"]) },
  );
}

export const name = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/) },
  { weight: 3, arbitrary: fc.constantFrom("a".repeat(MAX_NAME_CHARS), "a".repeat(MAX_NAME_CHARS + 1), "", "a b", "é", "a\n", "emails") },
  { weight: 1, arbitrary: fc.constantFrom(7, null, undefined) },
);
export const requestId = fc.oneof(intNear(0, Number.MAX_SAFE_INTEGER), stringNear(MAX_REQUEST_ID_CHARS));
export const anything = fc.jsonValue({ maxDepth: 3 });
/** Now and then (one in five): the arbitrary's value; else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const extraField = sometimes(fc.constantFrom("extra", "__proto__", "constructor", "jobId", "type"));
const missingField = sometimes(fc.nat());

/** A record of these fields (the required ones now and then left out), sometimes with one field more. */
export function shape(required: Record<string, fc.Arbitrary<unknown>>, optional: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<Record<string, unknown>> {
  const requiredKeys = Object.keys(required);
  return fc.tuple(fc.record({ ...required, ...optional }, { requiredKeys }), missingField, extraField, anything).map(([record, missing, extra, value]) => {
    const fields: Record<string, unknown> = { ...record };
    if (missing !== undefined && requiredKeys.length > 0) delete fields[requiredKeys[missing % requiredKeys.length]!];
    if (extra !== undefined) Object.defineProperty(fields, extra, { value, enumerable: true, writable: true, configurable: true });
    return fields;
  });
}


/** A record whose fields are all well-formed, or (half the time) all but one, which is near an edge instead. */
export function oneOff(valid: Record<string, fc.Arbitrary<unknown>>, near: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(near);
  return fc.tuple(fc.record(valid), fc.option(fc.nat(), { nil: undefined, freq: 2 }), fc.record(near, { requiredKeys: [] })).map(([record, pick, edges]) => {
    if (pick === undefined) return record;
    const key = keys[pick % keys.length]!;
    const fields: Record<string, unknown> = { ...record };
    if (key in edges) fields[key] = edges[key];
    else delete fields[key];
    return fields;
  });
}

/**
 * Whether a value could have come out of JSON.parse unchanged (no undefined, NaN, -0 or
 * non-JSON value in it), with no surrogate pair in it: the schema counts a string's code points
 * where the hand checks count UTF-16 units, so such strings near a bound are left to the schema.
 */
export function cameOffTheWire(value: unknown): boolean {
  const text = JSON.stringify(value);
  return text !== undefined && isDeepStrictEqual(JSON.parse(text), value) && !/[\uD800-\uDFFF]/.test(text);
}

/**
 * Asserts, over `runs` values, that whatever `hand` accepts `schema` accepts and parses equal, and
 * that `hand` accepted enough of them (most values are wrong somewhere on purpose) to have been tried.
 */
export function assertHandCheckWithinSchema(
  values: fc.Arbitrary<Record<string, unknown>>,
  hand: (value: Record<string, unknown>) => unknown,
  schema: { safeParse(value: unknown): { success: boolean; data?: unknown } },
  runs: number,
): void {
  let accepted = 0;
  fc.assert(
    fc.property(values, (value) => {
      const hot = hand(value);
      if (hot === undefined) return;
      accepted += 1;
      const parsed = schema.safeParse(value);
      expect(parsed.success).toBe(true);
      expect(hot).toEqual(parsed.data);
    }),
    { numRuns: runs },
  );
  expect(accepted).toBeGreaterThan(runs / 20);
}
