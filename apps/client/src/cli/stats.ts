// `djq stats`: the queue at a glance — jobs per state, workers, throughput, and the oldest wait.
import { parseFlags } from "@djq/runtime";
import type { StatsSnapshot } from "../client.js";
import { UsageError, type CliIo, type Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";
import { formatDurationMs, formatInstant } from "./time-format.js";

const usage = `Usage: djq stats [flags]

Prints counts per state, connected workers, completions in the last minute and the age of the
oldest pending job.

${connectionUsage}`;

const states = ["delayed", "pending", "running", "completed", "failed", "cancelled"] as const;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { command: "djq stats", options: connectionFlags, usage });
  const stats = await withClient(values, io, (client) => client.stats());
  io.out(values.json === true ? `${JSON.stringify(stats)}\n` : `${describeStats(stats)}\n`);
  return 0;
}

export function describeStats(stats: StatsSnapshot): string {
  const busy = stats.workers.filter((worker) => worker.running.length > 0).length;
  const lastMinute = stats.completedPerSecond.reduce((sum, n) => sum + n, 0);
  const lines = [
    `queue run ${stats.queueRunId} at ${formatInstant(stats.at)}`,
    `jobs            ${states.map((state) => `${state} ${stats.counts[state]}`).join("  ")}`,
    `workers         ${stats.workers.length} connected, ${busy} busy`,
    ...(stats.workersNotShown === undefined ? [] : [`                ${stats.workersNotShown} more workers not shown`]),
    `completed       ${lastMinute} in the last minute`,
    `oldest pending  ${stats.oldestPendingAgeMs === undefined ? "none" : formatDurationMs(stats.oldestPendingAgeMs)}`,
    `job data        ${stats.memory.heldBytes} of ${stats.memory.limitBytes} bytes (the memory budget)`,
  ];
  const queues = Object.entries(stats.queues);
  if (queues.length > 0) lines.push("queues");
  for (const [name, queue] of queues) {
    const counts = states.map((state) => `${state} ${queue.counts[state]}`).join("  ");
    lines.push(`  ${name}${queue.paused ? " (paused)" : ""}  ${counts}`);
  }
  return lines.join("\n");
}

export const statsCommand: Command = { name: "stats", summary: "show counts, workers and throughput", usage, run };
