import { describe, expect, it } from "vitest";
import { sparkline, throughput } from "./throughput.js";

describe("throughput", () => {
  it("reads whole seconds only, leaving out the second still filling", () => {
    const rate = throughput([...Array<number>(57).fill(0), 30, 40, 2]);
    expect(rate.lastSecond).toBe(40);
    expect(rate.lastMinute).toBeCloseTo(70 / 59);
    expect(rate.wholeSeconds).toHaveLength(59);
  });

  it("is zero before any second has passed", () => {
    expect(throughput([])).toEqual({ lastSecond: 0, lastMinute: 0, wholeSeconds: [] });
    expect(throughput([5])).toEqual({ lastSecond: 0, lastMinute: 0, wholeSeconds: [] });
  });
});

describe("sparkline", () => {
  it("scales each second to the busiest one", () => {
    expect(sparkline([0, 1, 4, 8])).toBe("▁▂▅█");
  });

  it("draws idle seconds as the lowest bar", () => {
    expect(sparkline([0, 0, 0])).toBe("▁▁▁");
  });
});
