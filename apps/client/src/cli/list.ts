// `djq list --state failed`: one page of jobs in a state, with the flag to fetch the next page.
import { JobState, MAX_LIST_LIMIT } from "@djq/protocol";
import { integerFlag, parseFlags } from "@djq/runtime";
import { UsageError, type CliIo, type Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";
import { jobTable } from "./format-job.js";

const flags = {
  ...connectionFlags,
  state: { type: "string" },
  queue: { type: "string" },
  limit: { type: "string", default: "50" },
  after: { type: "string" },
} as const;

const usage = `Usage: djq list --state STATE [flags]

Lists jobs in one state, oldest first, one page at a time: pending jobs by
place in line (a job put back after a failure keeps its place; higher priorities
are still handed out first), the others in the order they entered the state.

  --state STATE   ${JobState.options.join(" | ")} (required)
  --queue Q       only this queue
  --limit N       jobs per page, 1 to ${MAX_LIST_LIMIT} (default 50)
  --after N       the page after this place in the listing (printed at the end
                  of each page); it holds when the job shown last has moved on

${connectionUsage}`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, usage);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const state = JobState.safeParse(values.state);
  if (!state.success) throw new UsageError(`--state must be one of ${JobState.options.join(", ")}`);
  const limit = integerFlag("limit", values.limit, 50, 1);
  if (limit > MAX_LIST_LIMIT) throw new UsageError(`--limit is at most ${MAX_LIST_LIMIT}`);
  const filter = {
    state: state.data,
    limit,
    ...(values.queue !== undefined ? { queue: values.queue } : {}),
    ...(values.after !== undefined ? { after: integerFlag("after", values.after, 0, 1) } : {}),
  };
  const page = await withClient(values, io, (client) => client.list(filter));
  if (values.json === true) {
    io.out(`${JSON.stringify(page)}\n`);
    return 0;
  }
  io.out(page.jobs.length === 0 ? `no ${state.data} jobs\n` : `${jobTable(page.jobs)}\n`);
  if (page.next !== undefined) io.out(`more: --after ${page.next}\n`);
  return 0;
}

export const listCommand: Command = { name: "list", summary: "list jobs in a state, a page at a time", usage, run };
