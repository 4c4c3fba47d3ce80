// The shape shared by the one-word commands (cancel, retry, pause, resume): one argument, one
// request, a one-line confirmation. Each command's own file only names its verb.
import { parseFlags } from "@djq/runtime";
import type { DjqClient } from "../client.js";
import type { CliIo, Command } from "./command.js";
import { connectionFlags, connectionUsage, withClient } from "./connection-flags.js";

export interface ActionSpec<A> {
  name: string;
  summary: string;
  /** `<job-id>` or `<queue>` */
  argument: string;
  explanation: string;
  parse(positionals: string[]): A;
  /** `--create`, for the commands that take it: the flag's usage line. */
  createFlag?: string;
  act(client: DjqClient, target: A, options: { create: boolean }): Promise<void>;
  /** `cancelled job 7` */
  done(target: A): string;
  json(target: A): object;
}

export function actionCommand<A>(spec: ActionSpec<A>): Command {
  const ownFlags = spec.createFlag === undefined ? "" : `  --create        ${spec.createFlag}\n\n`;
  const usage = `Usage: djq ${spec.name} ${spec.argument} [flags]\n\n${spec.explanation}\n\n${ownFlags}${connectionUsage}`;
  const flags = spec.createFlag === undefined ? connectionFlags : { ...connectionFlags, create: { type: "boolean" } as const };
  const run = async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseFlags(argv, flags, usage);
    const target = spec.parse(positionals);
    const create = (values as { create?: boolean }).create === true;
    await withClient(values, io, (client) => spec.act(client, target, { create }));
    io.out(values.json === true ? `${JSON.stringify({ ok: true, ...spec.json(target) })}\n` : `${spec.done(target)}\n`);
    return 0;
  };
  return { name: spec.name, summary: spec.summary, usage, run };
}
