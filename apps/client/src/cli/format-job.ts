// How a job reads on a terminal: the full record for `status`, one row per job for `list`.
// Values from workers (results, errors, progress, worker ids) are cleaned of control characters,
// as `djq watch` does, and shortened, so one job can neither redraw nor flood the screen.
import type { AttemptView, JobView } from "@djq/protocol";
import { printable } from "./terminal-text.js";
import { formatDurationMs, formatInstant } from "./time-format.js";

const MAX_VALUE_CHARS = 200;

/** One line of text from a job: controls (newlines too) become spaces, then it is cut to length. */
export function shortValue(value: unknown): string {
  const text = printable(typeof value === "string" ? value : JSON.stringify(value));
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

/** The `status` view: fields, then one line per attempt. */
export function describeJob(job: JobView): string {
  const fields: Array<[string, string | undefined]> = [
    ["state", job.state],
    ["queue", job.queue],
    ["type", job.type],
    ["priority", String(job.priority)],
    ["attempts", `${job.attempts} of ${job.maxAttempts}`],
    ["worker", job.workerId === undefined ? undefined : shortValue(job.workerId)],
    ["progress", job.progress && `${job.progress.percent}%${job.progress.message ? ` ${shortValue(job.progress.message)}` : ""}`],
    ["submitted", formatInstant(job.submittedAt)],
    ["run at", job.runAt === undefined ? undefined : formatInstant(job.runAt)],
    ["settled", job.settledAt === undefined ? undefined : formatInstant(job.settledAt)],
    ["result", job.result === undefined ? undefined : shortValue(job.result)],
    ["error", job.error === undefined ? undefined : shortValue(job.error)],
  ];
  const lines = [`job ${job.jobId}`];
  for (const [name, value] of fields) if (value !== undefined) lines.push(`  ${name.padEnd(10)} ${value}`);
  lines.push(job.history.length === 0 ? "history (no attempts yet)" : "history");
  for (const attempt of job.history) lines.push(`  ${describeAttempt(attempt)}`);
  return lines.join("\n");
}

/** `#2 worker w-1  started 2025-…Z  ended 2025-…Z (500 ms)  failed: boom` */
export function describeAttempt(attempt: AttemptView): string {
  let line = `#${attempt.attempt} worker ${shortValue(attempt.workerId)}  started ${formatInstant(attempt.startedAt)}`;
  if (attempt.endedAt !== undefined) {
    line += `  ended ${formatInstant(attempt.endedAt)} (${formatDurationMs(attempt.endedAt - attempt.startedAt)})`;
  }
  line += `  ${attempt.outcome}`;
  if (attempt.error !== undefined) line += `: ${shortValue(attempt.error)}`;
  return line;
}

/** Rows for `list`, padded into columns under a header. */
export function jobTable(jobs: readonly JobView[]): string {
  const rows = [
    ["id", "state", "queue", "type", "attempts", "error"],
    ...jobs.map((job) => [
      String(job.jobId),
      job.state,
      job.queue,
      job.type,
      `${job.attempts}/${job.maxAttempts}`,
      job.error === undefined ? "" : shortValue(job.error.split("\n")[0]),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n");
}
