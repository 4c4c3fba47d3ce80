import { describe, expect, it } from "vitest";
import { summarize } from "./cpu-profile.js";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });

describe("summarize", () => {
  // Four samples, each lasting until the next (100 µs), the last one the mean.
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(idle)") },
      { id: 2, callFrame: frame("submit", "file:///elsewhere/queue-core.js", 79) },
      { id: 3, callFrame: frame("(garbage collector)") },
    ],
    samples: [2, 2, 3, 1],
    timeDeltas: [100, 100, 100, 100],
  };

  it("ranks functions by self time and leaves idle time out of the percentages", () => {
    const summary = summarize(profile, 10);
    expect(summary.totalMs).toBeCloseTo(0.4);
    expect(summary.busyMs).toBeCloseTo(0.3);
    expect(summary.functions[0]).toMatchObject({ name: "submit", where: "/elsewhere/queue-core.js:80", busyPercent: 66.7 });
    expect(summary.functions[1]).toMatchObject({ name: "(garbage collector)", busyPercent: 33.3 });
    expect(summary.functions.some((fn) => fn.name === "(idle)")).toBe(false);
  });
});
