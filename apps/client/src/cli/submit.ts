// `djq submit`: create N identical jobs, print their ids, and with --wait follow them to the end.
// The exit code is the verdict scripts need: 0 when every waited job completed, 1 otherwise.
import type { JobSpec } from "@djq/protocol";
import { integerFlag, parseFlags } from "@djq/runtime";
import type { DjqClient } from "../client.js";
import type { SettledJob } from "../watch-registry.js";
import { UsageError, type CliIo, type Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";
import { shortValue } from "./format-job.js";
import { formatIdRanges } from "./id-ranges.js";
import { ProgressDisplay } from "./progress-display.js";

/** One CLI call holds its jobs in memory; past this, write a program against the library. */
const MAX_COUNT = 10_000_000;

const flags = {
  ...connectionFlags,
  count: { type: "string", default: "1" },
  duration: { type: "string", default: "100" },
  payload: { type: "string" },
  type: { type: "string" },
  queue: { type: "string" },
  priority: { type: "string" },
  delay: { type: "string" },
  timeout: { type: "string" },
  "max-attempts": { type: "string" },
  key: { type: "string" },
  wait: { type: "boolean", default: false },
} as const;

const usage = `Usage: djq submit [flags]

Submits --count identical jobs and prints their ids.

  --count N          how many jobs (default 1)
  --duration MS      how long the built-in sleep handler runs each (default 100)
  --payload JSON     payload handed to the worker
  --type T           job type (default sleep)
  --queue Q          queue name (default default)
  --priority P       1 (lowest) to 9 (highest), default 5
  --delay MS         run no sooner than MS from now
  --timeout MS       run timeout of one attempt
  --max-attempts N   attempts before the job fails for good
  --key K            idempotency key: repeating the command with it creates nothing new
  --wait             follow the jobs until they settle, with the progress their handlers report;
                     exit 1 if any failed or was cancelled

${connectionUsage}`;

type Values = ReturnType<typeof parseFlags<typeof flags>>["values"];

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, usage);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const count = integerFlag("count", values.count, 1, 1);
  if (count > MAX_COUNT) throw new UsageError(`--count is at most ${MAX_COUNT}`);
  const spec = jobSpec(values);
  const jobs = Array.from({ length: count }, () => spec);
  return withClient(values, io, async (client) => {
    const jobIds = await client.submit(jobs, {
      ...(values.key !== undefined ? { key: values.key } : {}),
      watch: values.wait === true,
    });
    if (values.wait !== true) {
      io.out(values.json === true ? `${JSON.stringify(jobIds)}\n` : `${confirmation(jobIds)}\n`);
      return 0;
    }
    if (values.json !== true) io.out(`${confirmation(jobIds)}\n`);
    return waitAndReport(client, jobIds, values.json === true, io);
  });
}

function jobSpec(values: Values): JobSpec {
  const spec: JobSpec = { durationMs: integerFlag("duration", values.duration, 100, 0) };
  if (values.payload !== undefined) {
    try {
      spec.payload = JSON.parse(values.payload);
    } catch (error) {
      throw new UsageError(`--payload is not JSON: ${(error as Error).message}`);
    }
  }
  if (values.type !== undefined) spec.type = values.type;
  if (values.queue !== undefined) spec.queue = values.queue;
  if (values.priority !== undefined) spec.priority = integerFlag("priority", values.priority, 5, 1);
  if (values.delay !== undefined) spec.delayMs = integerFlag("delay", values.delay, 0, 0);
  if (values.timeout !== undefined) spec.timeoutMs = integerFlag("timeout", values.timeout, 1, 1);
  if (values["max-attempts"] !== undefined) spec.maxAttempts = integerFlag("max-attempts", values["max-attempts"], 1, 1);
  return spec;
}

/** `submitted 20 jobs: 1-20` */
function confirmation(jobIds: number[]): string {
  return `submitted ${jobIds.length} ${jobIds.length === 1 ? "job" : "jobs"}: ${formatIdRanges(jobIds)}`;
}

async function waitAndReport(client: DjqClient, jobIds: number[], json: boolean, io: CliIo): Promise<number> {
  // With --json, stdout carries one JSON document, so progress goes to stderr.
  const write = json ? io.err : io.out;
  const progress = new ProgressDisplay({ write, isTTY: io.isTTY, now: io.now }, jobIds.length);
  progress.start();
  let results: Map<number, SettledJob>;
  try {
    results = await client.waitFor(jobIds, {
      onSettled: (job) => progress.record(job.state, job.jobId),
      onProgress: (note) => progress.progress(note),
    });
  } finally {
    progress.stop();
  }
  const settled = [...results.values()];
  if (json) io.out(`${JSON.stringify(settled)}\n`);
  else {
    for (const job of settled) io.out(`${describeSettled(job)}\n`);
    const { done, failed, cancelled } = progress.counts;
    io.out(`${done} ${done === 1 ? "job" : "jobs"} settled: ${done - failed - cancelled} completed, ${failed} failed, ${cancelled} cancelled\n`);
  }
  return settled.every((job) => job.state === "completed") ? 0 : 1;
}

/** `job 3 failed: boom` or `job 4 completed {"ok":true}` */
function describeSettled(job: SettledJob): string {
  let line = `job ${job.jobId} ${job.state}`;
  if (job.error !== undefined) line += `: ${shortValue(job.error)}`;
  if (job.result !== undefined) line += ` ${shortValue(JSON.stringify(job.result))}`;
  return line;
}

export const submitCommand: Command = { name: "submit", summary: "submit jobs, optionally --wait for them", usage, run };
