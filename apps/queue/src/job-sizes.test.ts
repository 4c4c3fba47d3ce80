import { describe, expect, it } from "vitest";
import { measureResults } from "./job-sizes.js";

describe("measureResults", () => {
  it("gives each report's result its encoded size in the report's place, 0 where there is none", () => {
    const reports = [
      { jobId: 1, lease: 1 },
      { jobId: 2, lease: 1, result: "é" },
      { jobId: 3, lease: 1, result: { n: [1, 2] } },
    ];
    expect(measureResults(reports)).toEqual([0, 4, 11]);
  });

  it("measures nothing when no report carries a result", () => {
    const reports = [
      { jobId: 1, lease: 1 },
      { jobId: 2, lease: 1, result: undefined },
    ];
    expect(measureResults(reports)).toBeUndefined();
  });
});
