import { describe, expect, it } from "vitest";
import { formatIdRanges } from "./id-ranges.js";

describe("formatIdRanges", () => {
  it("writes consecutive ids as one range", () => expect(formatIdRanges([1, 2, 3, 4])).toBe("1-4"));
  it("keeps gaps and single ids visible", () => expect(formatIdRanges([1, 2, 5, 7, 8, 9])).toBe("1-2,5,7-9"));
  it("writes one id alone", () => expect(formatIdRanges([42])).toBe("42"));
  it("writes nothing for no ids", () => expect(formatIdRanges([])).toBe(""));
});
