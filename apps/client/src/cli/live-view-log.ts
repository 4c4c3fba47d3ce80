// `djq watch` when stdout is not a terminal (a pipe, a CI log, a file): no redrawing, only
// appended `key=value` lines a person can read and grep or awk can split. One summary line per
// interval, and one line per queue event the first time it is seen.
import type { RecentEvent } from "@djq/protocol";
import type { StatsSnapshot } from "../client.js";
import { printable } from "./terminal-text.js";
import { throughput } from "./throughput.js";
import { formatInstant } from "./time-format.js";

const states = ["delayed", "pending", "running", "completed", "failed", "cancelled"] as const;

/** `at=… delayed=0 pending=3 running=2 completed=120 failed=0 cancelled=0 jobs/s=41.0 jobs/s_1m=38.2 workers=2 busy=2 oldest_pending_ms=1200` */
export function summaryLine(stats: StatsSnapshot): string {
  const rate = throughput(stats.completedPerSecond);
  const fields: Array<[string, string | number]> = [
    ["at", formatInstant(stats.at)],
    ...states.map((state): [string, number] => [state, stats.counts[state]]),
    ["jobs/s", rate.lastSecond.toFixed(1)],
    ["jobs/s_1m", rate.lastMinute.toFixed(1)],
    ["workers", stats.workers.length],
    ["busy", stats.workers.filter((worker) => worker.running.length > 0).length],
  ];
  if (stats.oldestPendingAgeMs !== undefined) fields.push(["oldest_pending_ms", Math.round(stats.oldestPendingAgeMs)]);
  return logfmt(fields);
}

/** `at=… event=reassigned job=17 worker=w-1 reason="worker w-1 disconnected"` */
export function eventLine(event: RecentEvent): string {
  const fields: Array<[string, string | number]> = [
    ["at", formatInstant(event.at)],
    ["event", event.kind],
  ];
  if (event.jobId !== undefined) fields.push(["job", event.jobId]);
  if (event.workerId !== undefined) fields.push(["worker", event.workerId]);
  fields.push(["reason", event.reason]);
  return logfmt(fields);
}

/** `at=… error="…"`: the poll at `at` (the client's clock) got no snapshot. */
export function problemLine(at: number, message: string): string {
  return logfmt([
    ["at", formatInstant(at)],
    ["error", message],
  ]);
}

/** `at=… event=queue-restarted run=1a2b3c4d`: counts and events start again from nothing. */
export function restartLine(stats: StatsSnapshot): string {
  return logfmt([
    ["at", formatInstant(stats.at)],
    ["event", "queue-restarted"],
    ["run", stats.queueRunId],
  ]);
}

function logfmt(fields: ReadonlyArray<[string, string | number]>): string {
  return fields.map(([key, value]) => `${key}=${typeof value === "number" ? value : quoted(value)}`).join(" ");
}

/** Bare when it is one plain word; otherwise in JSON quotes, so a reason with spaces stays one value. */
function quoted(value: string): string {
  const clean = printable(value);
  return /^[\w.:/@+-]+$/.test(clean) ? clean : JSON.stringify(clean);
}
