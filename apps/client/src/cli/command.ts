// What every CLI subcommand is: a name, a usage text and a run function that writes through
// CliIo and returns the exit code. Commands never call process.exit themselves (bar --help and
// bad flags, which parseFlags handles), so tests can run them in-process.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal: a redrawn progress bar instead of progress lines. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  now(): number;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  now: () => Date.now(),
};

/** A wrong argument: runCli prints the message and a pointer to the command's --help, and exits 2. */
export { FlagError as UsageError } from "@djq/runtime";
import { FlagError as UsageError } from "@djq/runtime";

export function jobIdArgument(positionals: string[]): number {
  const [text, ...rest] = positionals;
  if (text === undefined) throw new UsageError("a job id is required");
  if (rest.length > 0) throw new UsageError(`one job id expected, got ${positionals.length}`);
  const jobId = Number(text);
  if (!Number.isSafeInteger(jobId) || jobId < 1) throw new UsageError(`"${text}" is not a job id`);
  return jobId;
}

export function queueArgument(positionals: string[]): string {
  const [queue, ...rest] = positionals;
  if (queue === undefined) throw new UsageError("a queue name is required");
  if (rest.length > 0) throw new UsageError(`one queue name expected, got ${positionals.length}`);
  return queue;
}
