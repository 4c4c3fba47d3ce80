// Shows `submit --wait` moving: on a terminal one bar redrawn in place with \r; elsewhere (CI
// logs, pipes) one plain line per second, since carriage returns turn a log into one huge line.
// The latest progress a running job reported (pushed by the queue) rides along on the same line.
import type { TerminalState } from "@djq/protocol";
import { formatSeconds } from "./time-format.js";

const BAR_WIDTH = 30;
const BAR_REDRAW_MS = 100;
const LINE_EVERY_MS = 1_000;
const CLEAR_TO_END = "\x1b[K";

export interface ProgressCounts {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
}

/** `progress 12/20 done, 0 failed, 8.1 jobs/s, eta 1s` */
export function progressLine(counts: ProgressCounts, elapsedMs: number): string {
  return `progress ${counts.done}/${counts.total} done, ${describe(counts, elapsedMs).join(", ")}`;
}

/** `[###############...............] 12/20 done  0 failed  8.1 jobs/s  eta 1s` */
export function progressBar(counts: ProgressCounts, elapsedMs: number, width = BAR_WIDTH): string {
  const filled = counts.total === 0 ? width : Math.floor((counts.done / counts.total) * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  return `${bar} ${counts.done}/${counts.total} done  ${describe(counts, elapsedMs).join("  ")}`;
}

function describe(counts: ProgressCounts, elapsedMs: number): string[] {
  const rate = elapsedMs > 0 ? counts.done / (elapsedMs / 1_000) : 0;
  const remaining = counts.total - counts.done;
  const eta = remaining === 0 ? "0s" : rate > 0 ? formatSeconds(remaining / rate) : "?";
  const parts = [`${counts.failed} failed`];
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  parts.push(`${rate.toFixed(1)} jobs/s`, `eta ${eta}`);
  return parts;
}

export interface JobProgressNote {
  jobId: number;
  percent: number;
  message?: string;
}

/** `job 3 40% resizing` */
export function jobProgressText(progress: JobProgressNote): string {
  const percent = Number.isInteger(progress.percent) ? String(progress.percent) : progress.percent.toFixed(1);
  return `job ${progress.jobId} ${percent}%${progress.message !== undefined ? ` ${progress.message}` : ""}`;
}

export interface ProgressOutput {
  write(text: string): void;
  isTTY: boolean;
  now(): number;
}

export class ProgressDisplay {
  readonly counts: ProgressCounts;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  /** The last progress pushed for a job still running, shown until that job settles. */
  private latest: JobProgressNote | undefined;

  constructor(
    private readonly output: ProgressOutput,
    total: number,
  ) {
    this.counts = { total, done: 0, failed: 0, cancelled: 0 };
    this.startedAt = output.now();
  }

  /** A running job's progress, as pushed; shown at the next draw. */
  progress(note: JobProgressNote): void {
    this.latest = note;
  }

  record(state: TerminalState, jobId?: number): void {
    if (jobId !== undefined && this.latest?.jobId === jobId) this.latest = undefined;
    this.counts.done += 1;
    if (state === "failed") this.counts.failed += 1;
    if (state === "cancelled") this.counts.cancelled += 1;
  }

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), this.output.isTTY ? BAR_REDRAW_MS : LINE_EVERY_MS);
  }

  /** Draws the final state once more and ends the bar's line. */
  stop(): void {
    clearInterval(this.timer);
    this.draw();
    if (this.output.isTTY) this.output.write("\n");
  }

  private draw(): void {
    const elapsedMs = this.output.now() - this.startedAt;
    const latest = this.latest === undefined ? "" : jobProgressText(this.latest);
    if (this.output.isTTY) this.output.write(`\r${progressBar(this.counts, elapsedMs)}${latest && `  ${latest}`}${CLEAR_TO_END}`);
    else this.output.write(`${progressLine(this.counts, elapsedMs)}${latest && `, ${latest}`}\n`);
  }
}
