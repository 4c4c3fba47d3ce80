// Picks the subcommand from argv, runs it, and turns any error into one line on stderr and an
// exit code: 2 for a wrong command line, 1 for anything the queue or the network refused.
import { QueueError } from "@djq/runtime";
import { cancelCommand } from "./cancel.js";
import { UsageError, type CliIo, type Command } from "./command.js";
import { listCommand } from "./list.js";
import { pauseCommand } from "./pause.js";
import { resumeCommand } from "./resume.js";
import { retryCommand } from "./retry.js";
import { statsCommand } from "./stats.js";
import { statusCommand } from "./status.js";
import { submitCommand } from "./submit.js";
import { liveViewCommand } from "./live-view.js";

const commands: readonly Command[] = [
  submitCommand,
  statusCommand,
  statsCommand,
  liveViewCommand,
  listCommand,
  cancelCommand,
  retryCommand,
  pauseCommand,
  resumeCommand,
];

export const overallUsage = `Usage: djq <command> [flags]

Commands:
${commands.map((command) => `  ${command.name.padEnd(8)} ${command.summary}`).join("\n")}

Run \`djq <command> --help\` for a command's flags. Every command takes --host ($DJQ_HOST),
--port ($DJQ_PORT), --secret ($DJQ_CLIENT_SECRET), --tls-ca ($DJQ_TLS_CA) and --json.
\`djq --version\` prints the version.`;

/** `version` is what `djq --version` prints: the program's main gives it. */
export async function runCli(argv: string[], io: CliIo, version?: string): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" && version !== undefined) {
    io.out(`${version}\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(`${overallUsage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.err(`unknown command "${name}"\n\n${overallUsage}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof QueueError) io.err(`error: ${error.message} (${error.code})\n`);
    else io.err(`error: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
