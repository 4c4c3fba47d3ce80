import { describe, expect, it } from "vitest";
import { lineChart, type ChartOptions } from "./plot-svg.js";

const options: ChartOptions = {
  title: "Throughput <vs> workers & more",
  xLabel: "workers",
  yLabel: "jobs/s",
  xLog: true,
  formatX: String,
  formatY: (y) => Math.round(y).toLocaleString("en-US"),
};
const points = [
  { x: 1, median: 100, min: 90, max: 110 },
  { x: 64, median: 300, min: 280, max: 320 },
  { x: 8, median: 200, min: 150, max: 210 },
];

describe("lineChart", () => {
  it("draws one marker per point and joins the medians left to right", () => {
    const svg = lineChart(points, options);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    const line = /<polyline [^>]*points="([^"]+)"/.exec(svg)?.[1] ?? "";
    const xs = line.split(" ").map((pair) => Number(pair.split(",")[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it("escapes text so a title cannot break the markup", () => {
    const svg = lineChart(points, options);
    expect(svg).toContain("Throughput &lt;vs&gt; workers &amp; more");
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  });

  it("labels the x axis with the data's own values", () => {
    const svg = lineChart(points, options);
    for (const label of ["1", "8", "64"]) expect(svg).toContain(`>${label}</text>`);
  });

  it("skips points without a median instead of drawing NaN", () => {
    const svg = lineChart([...points, { x: 2, median: Number.NaN, min: Number.NaN, max: Number.NaN }], options);
    expect(svg).not.toContain("NaN");
  });
});
