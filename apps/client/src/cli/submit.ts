// `djq submit`: create N identical jobs, print their ids, and with --wait follow them to the end.
// The exit code is the verdict scripts need: 0 when every waited job completed, 1 otherwise.
import { JobSpec } from "@djq/protocol";
import { FlagError, integerFlag, parseFlags } from "@djq/runtime";
import type { z } from "zod";
import type { DjqClient } from "../client.js";
import type { SettledJob } from "../watch-registry.js";
import type { CliIo, Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";
import { shortValue } from "./format-job.js";
import { formatIdRanges } from "./id-ranges.js";
import { ProgressDisplay } from "./progress-display.js";

/** One CLI call holds its jobs in memory; past this, write a program against the library. */
const MAX_COUNT = 10_000_000;

const flags = {
  ...connectionFlags,
  count: { type: "string", default: "1" },
  "duration-ms": { type: "string" },
  payload: { type: "string" },
  type: { type: "string" },
  queue: { type: "string" },
  priority: { type: "string" },
  "delay-ms": { type: "string" },
  "timeout-ms": { type: "string" },
  "max-attempts": { type: "string" },
  key: { type: "string" },
  wait: { type: "boolean", default: false },
  verbose: { type: "boolean", default: false },
} as const;

/** The spellings before durations ended in -ms; still accepted. */
const aliases = { duration: "duration-ms", delay: "delay-ms", timeout: "timeout-ms" } as const;

/** Which flag sets each field of the spec: a refusal by the schema names the flag. */
const flagOfField: Record<string, string> = {
  durationMs: "duration-ms", payload: "payload", type: "type", queue: "queue", priority: "priority",
  delayMs: "delay-ms", timeoutMs: "timeout-ms", maxAttempts: "max-attempts",
};

const usage = `Usage: djq submit [flags]

Submits --count identical jobs and prints their ids.

  --count N              how many jobs (default 1)
  --duration-ms MS       how long the built-in sleep handler runs each (default 100)
  --payload JSON         payload handed to the worker
  --type TYPE            job type (default sleep)
  --queue QUEUE          queue name (default default)
  --priority P           1 (lowest) to 9 (highest) (default 5)
  --delay-ms MS          run no sooner than MS from now
  --timeout-ms MS        run timeout of one attempt (default the queue's --job-timeout-ms)
  --max-attempts N       attempts before the job fails for good (default the queue's --max-attempts)
  --key KEY              idempotency key: repeating the command with it creates nothing new
  --wait                 follow the jobs until they settle, with a progress bar (and the progress
                         running jobs' handlers report) and a summary; exit 1 if any failed or
                         was cancelled
  --verbose              with --wait, also one line per settled job

  --duration, --delay and --timeout are older spellings of the -ms flags.

${connectionUsage}`;

type Values = ReturnType<typeof parseFlags<typeof flags>>["values"];

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { command: "djq submit", options: flags, usage, aliases });
  const count = integerFlag("count", values.count, 1, 1, MAX_COUNT);
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
    return waitAndReport(client, jobIds, { json: values.json === true, verbose: values.verbose === true }, io);
  });
}

// Checked here with the protocol's own schema, so a value the queue would refuse is a wrong
// command line (exit 2) named by its flag, not a refusal from the queue.
function jobSpec(values: Values): JobSpec {
  const whole = (flag: keyof Values & string) => integerFlag(flag, values[flag] as string, 0, Number.MIN_SAFE_INTEGER);
  const spec: Record<string, unknown> = { durationMs: values["duration-ms"] === undefined ? 100 : whole("duration-ms") };
  if (values.payload !== undefined) {
    try {
      spec.payload = JSON.parse(values.payload);
    } catch (error) {
      throw new FlagError(`--payload is not JSON: ${(error as Error).message}`);
    }
  }
  if (values.type !== undefined) spec.type = values.type;
  if (values.queue !== undefined) spec.queue = values.queue;
  if (values.priority !== undefined) spec.priority = whole("priority");
  if (values["delay-ms"] !== undefined) spec.delayMs = whole("delay-ms");
  if (values["timeout-ms"] !== undefined) spec.timeoutMs = whole("timeout-ms");
  if (values["max-attempts"] !== undefined) spec.maxAttempts = whole("max-attempts");
  const checked = JobSpec.safeParse(spec);
  if (!checked.success) throw flagRefusal(checked.error.issues[0]!, values);
  return checked.data;
}

/** `--priority must be at most 9, got "10"`: the schema's verdict in the words of a flag check. */
function flagRefusal(issue: z.core.$ZodIssue, values: Values): FlagError {
  const flag = flagOfField[String(issue.path[0])] ?? "payload";
  const given = values[flag as keyof Values];
  const verdict = issue.code === "too_big" ? `must be at most ${String(issue.maximum)}`
    : issue.code === "too_small" ? `must be at least ${String(issue.minimum)}`
    : `is refused: ${issue.message}`;
  return new FlagError(`--${flag} ${verdict}, got "${String(given)}"`);
}

/** `submitted 20 jobs: 1-20` */
function confirmation(jobIds: number[]): string {
  return `submitted ${jobIds.length} ${jobIds.length === 1 ? "job" : "jobs"}: ${formatIdRanges(jobIds)}`;
}

/** A bar and a summary; the per-job lines only when asked for (`--verbose`, or all of them as `--json`). */
async function waitAndReport(client: DjqClient, jobIds: number[], { json, verbose }: { json: boolean; verbose: boolean }, io: CliIo): Promise<number> {
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
    if (verbose) for (const job of settled) io.out(`${describeSettled(job)}\n`);
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
