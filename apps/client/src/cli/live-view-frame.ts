// One screen of `djq watch` on a terminal, as lines, from one stats snapshot: a pure function, so
// what the operator sees is tested without a terminal or a queue. It never writes and never reads
// the clock: "now" is the snapshot's `at`. Each line fits `columns`; the frame fits `rows`.
import type { RecentEvent, StateCounts, WorkerView } from "@djq/protocol";
import type { StatsSnapshot } from "../client.js";
import { columnsOf, fitWidth, printable, wrapParts, type Align } from "./terminal-text.js";
import { sparkline, throughput } from "./throughput.js";
import { formatDurationMs, formatInstant } from "./time-format.js";

export interface FrameOptions {
  /** Where the queue is, as the operator named it: `127.0.0.1:7070`. */
  source: string;
  intervalMs: number;
  columns: number;
  /** The terminal's height; absent when the frame is printed once and may scroll. */
  rows?: number;
  /** Something the operator must know about this frame: it is stale, the queue is unreachable. */
  status?: string;
}

const states = ["delayed", "pending", "running", "completed", "failed", "cancelled"] as const satisfies readonly (keyof StateCounts)[];
const LABEL = 11;
/** Rows per section when the height is unknown: a printed frame stays readable with 10,000 workers. */
const MAX_ROWS_UNBOUNDED = 200;

interface Section {
  title: string;
  header: string[];
  align: Align[];
  items: string[][];
}

export function renderFrame(stats: StatsSnapshot, options: FrameOptions): string[] {
  const top = summary(stats, options);
  const sections = [workerSection(stats), queueSection(stats), eventSection(stats.recent)];
  const fixed = top.length + sections.reduce((sum, section) => sum + 2 + (section.items.length > 0 ? 1 : 0), 0);
  const shown =
    options.rows === undefined
      ? sections.map((section) => Math.min(section.items.length, MAX_ROWS_UNBOUNDED))
      : shareRows(
          sections.map((section) => section.items.length),
          options.rows - fixed,
        );
  const lines = [...top];
  sections.forEach((section, index) => lines.push("", ...renderSection(section, shown[index] ?? 0)));
  const fitted = lines.map((line) => fitWidth(line, options.columns));
  return options.rows === undefined ? fitted : fitted.slice(0, Math.max(1, options.rows));
}

function summary(stats: StatsSnapshot, options: FrameOptions): string[] {
  const rate = throughput(stats.completedPerSecond);
  const { totals } = stats;
  const indent = " ".repeat(LABEL);
  const label = (name: string, ...parts: string[]) => wrapParts(parts, options.columns, name.padEnd(LABEL), indent);
  return [
    ...wrapParts(
      ["djq watch", options.source, `run ${printable(stats.queueRunId)}`, formatInstant(stats.at), `every ${every(options.intervalMs)}`],
      options.columns,
      "",
      indent,
    ),
    ...(options.status === undefined ? [] : label("!", printable(options.status))),
    ...label("jobs", ...states.map((state) => `${state} ${stats.counts[state]}`)),
    ...label("throughput", `${rate.lastSecond} jobs/s last second`, `${rate.lastMinute.toFixed(1)} jobs/s over the last minute`),
    // The newest seconds matter most: on a narrow terminal the oldest are dropped.
    ...label("per second", sparkline(rate.wholeSeconds.slice(-Math.max(1, options.columns - LABEL)))),
    ...label("oldest", stats.oldestPendingAgeMs === undefined ? "no job pending" : `pending job waiting ${formatDurationMs(stats.oldestPendingAgeMs)}`),
    ...label(
      "totals",
      `submitted ${totals.submitted}`,
      `reassigned ${totals.reassigned}`,
      `retried ${totals.retried}`,
      `stale refused ${totals.staleRefused}`,
    ),
  ];
}

/** `1s`, `2s`, `1.5s`, `250 ms`. */
function every(intervalMs: number): string {
  return intervalMs % 1_000 === 0 ? `${intervalMs / 1_000}s` : formatDurationMs(intervalMs);
}

function workerSection(stats: StatsSnapshot): Section {
  const busy = stats.workers.filter((worker) => worker.running.length > 0).length;
  return {
    title:
      (stats.workers.length === 0 ? "workers  none connected" : `workers  ${stats.workers.length} connected, ${busy} busy`) +
      (stats.workersNotShown === undefined ? "" : `, ${stats.workersNotShown} more workers not shown`),
    header: ["worker", "queues", "job", "attempt", "running", "heartbeat", "progress"],
    align: ["left", "left", "right", "right", "right", "right", "left"],
    items: stats.workers.flatMap((worker) => workerRows(worker, stats.at)),
  };
}

/** One row per running job; the worker's own cells only on its first row. */
function workerRows(worker: WorkerView, now: number): string[][] {
  const own = [fitWidth(printable(worker.workerId), 24), fitWidth(worker.queues.join(","), 24)];
  const heartbeat = `${formatDurationMs(Math.max(0, now - worker.lastSeenAt))} ago`;
  if (worker.running.length === 0) return [[...own, "-", "", "", heartbeat, worker.waiting ? "waiting for work" : "idle"]];
  return worker.running.map((job, index) => [
    ...(index === 0 ? own : ["", ""]),
    String(job.jobId),
    String(job.attempt),
    formatDurationMs(Math.max(0, now - job.startedAt)),
    index === 0 ? heartbeat : "",
    job.progress === undefined
      ? ""
      : `${Math.floor(job.progress.percent)}%${job.progress.message === undefined ? "" : ` ${printable(job.progress.message)}`}`,
  ]);
}

function queueSection(stats: StatsSnapshot): Section {
  const queues = Object.entries(stats.queues);
  return {
    title: queues.length === 0 ? "queues  none" : "queues",
    header: ["queue", "paused", ...states],
    align: ["left", "left", ...states.map((): Align => "right")],
    items: queues.map(([name, queue]) => [printable(name), queue.paused ? "yes" : "no", ...states.map((state) => String(queue.counts[state]))]),
  };
}

function eventSection(recent: readonly RecentEvent[]): Section {
  return {
    title: recent.length === 0 ? "recent events  none" : "recent events, newest first",
    header: ["at", "event", "job", "worker", "reason"],
    align: ["left", "left", "right", "left", "left"],
    items: [...recent].reverse().map((event) => [
      formatInstant(event.at).slice(11, 23),
      event.kind,
      event.jobId === undefined ? "" : String(event.jobId),
      event.workerId === undefined ? "" : fitWidth(printable(event.workerId), 16),
      printable(event.reason),
    ]),
  };
}

/** Title, header and `shown` rows; when rows are left out, the last line says how many. */
function renderSection(section: Section, shown: number): string[] {
  if (section.items.length === 0) return [section.title];
  const cut = shown < section.items.length;
  const rows = section.items.slice(0, cut ? Math.max(0, shown - 1) : shown);
  const lines = [section.title, ...columnsOf([section.header, ...rows], section.align).map((line) => `  ${line}`)];
  if (cut && shown > 0) lines.push(`  … ${section.items.length - rows.length} more rows`);
  return lines;
}

/**
 * Splits `budget` rows between sections wanting `wanted` rows each, one row at a time in turn, so
 * a hundred workers cannot push the queues and the events off the screen.
 */
export function shareRows(wanted: readonly number[], budget: number): number[] {
  const shown = wanted.map(() => 0);
  let left = Math.max(0, budget);
  while (left > 0 && shown.some((n, index) => n < (wanted[index] as number))) {
    for (let index = 0; index < shown.length && left > 0; index += 1) {
      if ((shown[index] as number) < (wanted[index] as number)) {
        shown[index] = (shown[index] as number) + 1;
        left -= 1;
      }
    }
  }
  return shown;
}
