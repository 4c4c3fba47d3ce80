#!/usr/bin/env node
// The djq command line: `djq submit|status|stats|list|cancel|retry|pause|resume`. Each
// subcommand lives in cli/<command>.ts; this file only wires the process to them.
import { onShutdownSignal, packageVersion } from "@djq/runtime";
import { processIo } from "./cli/command.js";
import { runCli } from "./cli/run-cli.js";

// A reader that went away (`djq watch | head -1`) has all it wanted: end quietly, as a shell
// pipeline expects, instead of dying on the next write with an EPIPE stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

// Ctrl-C while waiting only stops watching: the submitted jobs keep running on the queue.
onShutdownSignal(() => {
  process.exitCode = 130;
});

process.exitCode = await runCli(process.argv.slice(2), processIo, packageVersion(import.meta.url));
