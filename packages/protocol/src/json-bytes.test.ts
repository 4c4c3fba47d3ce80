import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBytes, scalarJsonBytes } from "./json-bytes.js";

const encodedBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.constantFrom("", '"', "\\", "\n", "\u007f", "é", "\ud800"));
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 1e21, 1e-7, Number.MAX_SAFE_INTEGER + 2));
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined));
const flatRecord = fc.dictionary(fc.oneof(text, fc.constantFrom("__proto__", "toJSON", "0", "constructor")), scalar);

describe("jsonBytes", () => {
  it("is the UTF-8 length of JSON.stringify's text, for any value", () => {
    fc.assert(
      fc.property(fc.oneof(scalar, flatRecord, fc.jsonValue(), fc.anything({ withNullPrototype: true, withMap: true, withDate: true, withTypedArray: true, withSparseArray: true })), (value) => {
        expect(jsonBytes(value)).toBe(encodedBytes(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it("counts what a record's own toJSON, inherited fields and a parsed __proto__ key do to the text", () => {
    const values: unknown[] = [
      { toJSON: () => "short" },
      Object.create({ inherited: 1 }),
      Object.assign(Object.create({ toJSON: () => 1 }), { a: 1 }),
      JSON.parse('{"__proto__":{"a":1},"b":"x"}'),
      JSON.parse('{"__proto__":2,"b":"x"}'),
      new Date(0),
      { a: undefined, b: () => 1, c: Symbol("s") },
      () => 1,
      undefined,
    ];
    for (const value of values) expect(jsonBytes(value), String(value)).toBe(encodedBytes(value));
  });
});

describe("scalarJsonBytes", () => {
  it("is the JSON length of a value whose text parses back to it, and 0 for the rest", () => {
    fc.assert(
      fc.property(fc.oneof(scalar, fc.jsonValue()), (value) => {
        const bytes = scalarJsonBytes(value);
        if (bytes === 0) return;
        const json = JSON.stringify(value);
        expect(bytes).toBe(Buffer.byteLength(json));
        expect(Object.is(JSON.parse(json), value)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
