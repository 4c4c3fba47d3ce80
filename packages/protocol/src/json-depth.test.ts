import { describe, expect, it } from "vitest";
import { JOB_FIELD_LEVEL, jobFieldNestsDeeperThan, nestsDeeperThan } from "./json-depth.js";

const arrays = (levels: number): unknown => (levels === 0 ? 1 : [arrays(levels - 1)]);
const objects = (levels: number): unknown => (levels === 0 ? 1 : { a: objects(levels - 1) });

describe("nestsDeeperThan", () => {
  it.each([
    ["arrays", arrays],
    ["objects", objects],
  ])("counts the value itself as level 1, for %s", (_kind, build) => {
    expect(nestsDeeperThan(build(5) as object, 5)).toBe(false);
    expect(nestsDeeperThan(build(6) as object, 5)).toBe(true);
  });

  it("finds the deep branch among shallow siblings, in arrays and objects alike", () => {
    expect(nestsDeeperThan({ a: 1, b: [1, 2, { c: [arrays(3)] }], d: null }, 7)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, 2, { c: [arrays(3)] }], d: null }, 6)).toBe(true);
  });

  it("looks only at a value's own fields", () => {
    const inherited = Object.create({ deep: arrays(10) }) as object;
    expect(nestsDeeperThan(inherited, 1)).toBe(false);
  });

  it("walks a value nested far past the stack's depth without overflowing", () => {
    const text = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    expect(nestsDeeperThan(JSON.parse(text) as object, 64)).toBe(true);
  });
});

describe("jobFieldNestsDeeperThan", () => {
  it(`counts a payload or result from level ${JOB_FIELD_LEVEL} of its message`, () => {
    // An array payload nested 61 levels ends at level 64 of the message.
    expect(jobFieldNestsDeeperThan(arrays(61), 64)).toBe(false);
    expect(jobFieldNestsDeeperThan(arrays(62), 64)).toBe(true);
  });

  it("lets any scalar through, and an absent field", () => {
    for (const field of [undefined, null, 0, "x", true]) expect(jobFieldNestsDeeperThan(field, 64)).toBe(false);
  });
});
