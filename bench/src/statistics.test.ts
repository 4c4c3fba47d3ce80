import { describe, expect, it } from "vitest";
import { percentile, spread } from "./statistics.js";

describe("spread", () => {
  it("gives the median and the range of repeated runs, whatever their order", () => {
    expect(spread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: 3 });
  });

  it("takes the mean of the middle two for an even number of runs", () => {
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it("reports no runs as NaN, not as zero", () => {
    expect(spread([]).runs).toBe(0);
    expect(spread([]).median).toBeNaN();
  });
});

describe("percentile", () => {
  const hundred = Array.from({ length: 101 }, (_, i) => i);

  it("interpolates between the closest ranks", () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([0, 10], 25)).toBe(2.5);
  });

  it("gives the extremes at 0 and 100", () => {
    expect(percentile([3, 5, 8], 0)).toBe(3);
    expect(percentile([3, 5, 8], 100)).toBe(8);
  });
});
