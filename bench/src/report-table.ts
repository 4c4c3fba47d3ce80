// The table `pnpm bench` prints and docs/benchmarks.md shows: medians with their range, beside
// the reference figures and the target. Markdown, so the same text pastes into the docs.
import type { Machine } from "./machine.js";
import { references } from "./reference-figures.js";
import type { ResultRow } from "./results.js";

export function formatValue(value: number, unit: ResultRow["unit"]): string {
  if (!Number.isFinite(value)) return "–";
  if (unit === "ratio") return `${value.toFixed(2)}×`;
  if (unit === "ms" || unit === "MB") {
    const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return Math.round(value).toLocaleString("en-US");
}

export function formatTable(rows: readonly ResultRow[]): string {
  const header = ["", "Measure", "djq median", "min–max", "runs", "queue CPU µs/job", "queue writes/job", "beanstalkd", "Bee-Queue", "BullMQ", "target", "met"];
  const lines = rows.map((row) => {
    const reference = references[row.key];
    const { median, min, max, runs } = row.spread;
    return [
      row.workload,
      `${row.label} (${row.unit})`,
      formatValue(median, row.unit),
      runs > 1 ? `${formatValue(min, row.unit)}–${formatValue(max, row.unit)}` : "",
      String(runs),
      row.queueCpuUsPerJob === undefined ? "" : row.queueCpuUsPerJob.toFixed(1),
      row.queueWritesPerJob === undefined ? "" : row.queueWritesPerJob.toFixed(2),
      reference?.beanstalkd ?? "",
      reference?.beeQueue ?? "",
      reference?.bullmq ?? "",
      reference?.target ?? "",
      reference === undefined ? "" : reference.meets(row.spread) ? "yes" : "**no**",
    ];
  });
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => (line[i] as string).length)));
  const render = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(" | ")} |`;
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n");
}

export function formatMachine(machine: Machine): string {
  const load = `load average ${machine.loadAverage.atStart}${machine.loadAverage.atEnd === undefined ? "" : ` → ${machine.loadAverage.atEnd}`}`;
  const idle = machine.idleCpus === undefined ? "" : `; idle CPUs: ${machine.idleCpus}`;
  return `${machine.cores} cores, ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ${machine.platform}${idle}; ${load}`;
}
