// `djq status <id>`: one job's state, where it ran, what came of it, and every attempt so far.
import { parseFlags } from "@djq/runtime";
import { jobIdArgument, type CliIo, type Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";
import { describeJob } from "./format-job.js";

const usage = `Usage: djq status JOB-ID [flags]

Prints the job's state, queue, attempts, worker, result or error, and its history.

${connectionUsage}`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, { command: "djq status", options: connectionFlags, usage, maxPositionals: 1 });
  const jobId = jobIdArgument(positionals);
  const job = await withClient(values, io, (client) => client.status(jobId));
  io.out(values.json === true ? `${JSON.stringify(job)}\n` : `${describeJob(job)}\n`);
  return 0;
}

export const statusCommand: Command = { name: "status", summary: "show one job and its history", usage, run };
