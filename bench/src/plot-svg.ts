// A line chart as hand-written SVG: medians joined by a line, min–max whiskers, a log or linear
// x axis, a y axis from 0, optional dashed reference lines. No dependencies; the output is
// small, diffable text that GitHub renders inline.
import type { PlotPoint } from "./results.js";

export interface ChartOptions {
  title: string;
  /** A smaller line under the title: sizes, machine. */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xLog: boolean;
  formatX: (x: number) => string;
  formatY: (y: number) => string;
  referenceLines?: { y: number; label: string }[];
}

const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { top: 64, right: 44, bottom: 50, left: 84 };
const INK = "#1f2933";
const GRID = "#d9dee3";
const LINE = "#2563eb";
const REFERENCE = "#b45309";

export function lineChart(points: readonly PlotPoint[], options: ChartOptions): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sorted = [...points].filter((p) => Number.isFinite(p.median)).sort((a, b) => a.x - b.x);
  const xs = sorted.map((p) => p.x);
  const tx = (x: number) => (options.xLog ? Math.log10(x) : x);
  const [xLow, xHigh] = padRange(Math.min(...xs.map(tx)), Math.max(...xs.map(tx)));
  const yTop = Math.max(...sorted.map((p) => p.max), ...(options.referenceLines ?? []).map((r) => r.y), 1);
  const yStep = niceStep(yTop / 5);
  const yMax = Math.ceil((yTop * 1.05) / yStep) * yStep;
  const px = (x: number) => MARGIN.left + ((tx(x) - xLow) / (xHigh - xLow)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" fill="${INK}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 22, options.title, { anchor: "middle", size: 15, weight: "600" }),
    text(WIDTH / 2, 40, options.subtitle ?? "", { anchor: "middle", size: 11, fill: "#4b5563" }),
    text(WIDTH - MARGIN.right, MARGIN.top - 8, "dot: median · whiskers: min–max over runs", { anchor: "end", size: 10, fill: "#6b7280" }),
  );
  for (let y = 0; y <= yMax + yStep / 2; y += yStep) {
    out.push(line(MARGIN.left, py(y), MARGIN.left + plotW, py(y), GRID), text(MARGIN.left - 8, py(y) + 4, options.formatY(y), { anchor: "end" }));
  }
  for (const x of xs) {
    out.push(line(px(x), MARGIN.top + plotH, px(x), MARGIN.top + plotH + 5, INK), text(px(x), MARGIN.top + plotH + 20, options.formatX(x), { anchor: "middle" }));
  }
  out.push(
    line(MARGIN.left, MARGIN.top + plotH, MARGIN.left + plotW, MARGIN.top + plotH, INK),
    line(MARGIN.left, MARGIN.top, MARGIN.left, MARGIN.top + plotH, INK),
    text(MARGIN.left + plotW / 2, HEIGHT - 12, options.xLabel, { anchor: "middle" }),
    `<text x="18" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">${escape(options.yLabel)}</text>`,
  );
  for (const reference of options.referenceLines ?? []) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${f(py(reference.y))}" x2="${MARGIN.left + plotW}" y2="${f(py(reference.y))}" stroke="${REFERENCE}" stroke-dasharray="6 4"/>`,
      text(MARGIN.left + plotW - 4, py(reference.y) - 6, reference.label, { anchor: "end", fill: REFERENCE }),
    );
  }
  if (sorted.length > 1) {
    out.push(`<polyline fill="none" stroke="${LINE}" stroke-width="2" points="${sorted.map((p) => `${f(px(p.x))},${f(py(p.median))}`).join(" ")}"/>`);
  }
  for (const p of sorted) {
    const x = px(p.x);
    out.push(
      line(x, py(p.min), x, py(p.max), LINE),
      line(x - 5, py(p.min), x + 5, py(p.min), LINE),
      line(x - 5, py(p.max), x + 5, py(p.max), LINE),
      `<circle cx="${f(x)}" cy="${f(py(p.median))}" r="4" fill="${LINE}"/>`,
      text(x + 8, py(p.median) - 8, options.formatY(p.median), { anchor: "start", size: 11 }),
    );
  }
  out.push("</svg>", "");
  return out.join("\n");
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].find((m) => m * power >= rough) ?? 10;
  return step * power;
}

function padRange(low: number, high: number): [number, number] {
  const pad = high === low ? 1 : (high - low) * 0.08;
  return [low - pad, high + pad];
}

const f = (n: number) => n.toFixed(1);

function line(x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${stroke}"/>`;
}

function text(x: number, y: number, content: string, style: { anchor: "start" | "middle" | "end"; size?: number; weight?: string; fill?: string }): string {
  const extra = `${style.size ? ` font-size="${style.size}"` : ""}${style.weight ? ` font-weight="${style.weight}"` : ""}${style.fill ? ` fill="${style.fill}"` : ""}`;
  return `<text x="${f(x)}" y="${f(y)}" text-anchor="${style.anchor}"${extra}>${escape(content)}</text>`;
}

function escape(content: string): string {
  return content.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
