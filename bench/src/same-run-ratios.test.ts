import { describe, expect, it } from "vitest";
import type { ResultRow } from "./results.js";
import { sameRunRatios } from "./same-run-ratios.js";
import { spread } from "./statistics.js";

const row = (key: string, values: number[]): ResultRow => ({ key, workload: key, label: key, unit: "jobs/s", values, spread: spread(values) });

describe("same-run ratios", () => {
  it("divides djq's median by the floor's from the same rows and checks it against the target", () => {
    const [b] = sameRunRatios([row("B", [4_000, 4_500, 5_000]), row("floor.B", [8_000, 9_000, 10_000])]);
    expect(b).toMatchObject({ of: "B", to: "floor.B", target: "≥ 0.9", met: false });
    expect(b?.ratio).toBeCloseTo(0.5);
  });

  it("holds a latency to at most its bound", () => {
    const [c] = sameRunRatios([row("C.p50", [0.3]), row("floor.C.p50", [0.2])]);
    expect(c?.ratio).toBeCloseTo(1.5);
    expect(c?.met).toBe(true);
  });

  it("leaves out a ratio whose yardstick was not measured in this run", () => {
    expect(sameRunRatios([row("B", [4_000]), row("U", [4_000])])).toEqual([]);
  });

  it("reports a ratio without a target as neither met nor missed", () => {
    const [ack] = sameRunRatios([row("U.ack.p50", [0.4]), row("floor.U.ack.p50", [0.2])]);
    expect(ack).toMatchObject({ target: "", met: undefined });
  });

  it("compares djq with beanstalkd measured in the same run, and the journal's cost with the binlog's", () => {
    const ratios = sameRunRatios([row("B", [6_000]), row("beanstalkd.B", [12_000]), row("B.ratio-interval", [0.7]), row("beanstalkd.B.binlog-50.ratio", [0.875])]);
    expect(ratios.map((r) => [r.of, r.to, r.met])).toEqual([
      ["B", "beanstalkd.B", undefined],
      ["B.ratio-interval", "beanstalkd.B.binlog-50.ratio", undefined],
    ]);
    expect(ratios[1]?.ratio).toBeCloseTo(0.8);
  });
});
