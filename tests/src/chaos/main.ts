#!/usr/bin/env node
// `pnpm chaos`: one long chaos run against the real programs, for release checks. Prints the seed
// first and the report last; exits 1 if any job was lost or completed twice, or a client failed.
import { integerFlag, parseFlags, exitOnFlagError } from "@djq/runtime";
import { killAll } from "../harness/processes.js";
import { formatChaosReport } from "./chaos-report.js";
import { runChaos } from "./run-chaos.js";
import { resolveSeed } from "./seeded-random.js";

const usage = `usage: pnpm chaos [flags]     kill, freeze and partition workers while clients submit jobs
  --duration-s N   seconds of chaos (default 120)
  --workers N      worker processes, each behind its own relay, concurrency 4 (default 6)
  --clients N      client processes submitting and watching jobs (default 4)
  --jobs N         jobs in all, split between the clients (default 20000)
  --seed N         replay the chaos of an earlier run (or env DJQ_SEED; default random)
  --settle-s N     after the chaos, how long every job gets to settle (default 60)
  --check-invariants   run the queue with --check-invariants (slow with many jobs)
  --kill-queue     also SIGKILL the queue and restart it on its journal, --queue-kills times, evenly spaced
  --queue-kills N  with --kill-queue (default 5)
  --log-dir DIR    write every process's logs there at the end
  -h, --help       this text`;

const { values: flags } = exitOnFlagError("chaos", () => parseFlags(process.argv.slice(2), {
  command: "chaos",
  options: {
    "duration-s": { type: "string" },
    workers: { type: "string" },
    clients: { type: "string" },
    jobs: { type: "string" },
    seed: { type: "string" },
    "settle-s": { type: "string" },
    "check-invariants": { type: "boolean" },
    "kill-queue": { type: "boolean" },
    "queue-kills": { type: "string" },
    "log-dir": { type: "string" },
  },
  usage,
}));

let exitCode = 1;
try {
  const report = await runChaos({
    durationMs: integerFlag("duration-s", flags["duration-s"], 120, 1) * 1000,
    workers: integerFlag("workers", flags.workers, 6, 1),
    clients: integerFlag("clients", flags.clients, 4, 1),
    jobs: integerFlag("jobs", flags.jobs, 20_000, 1),
    seed: resolveSeed(flags.seed ?? process.env.DJQ_SEED),
    settleTimeoutMs: integerFlag("settle-s", flags["settle-s"], 60, 1) * 1000,
    checkInvariants: flags["check-invariants"] === true,
    queueKills: flags["kill-queue"] === true ? integerFlag("queue-kills", flags["queue-kills"], 5, 1) : 0,
    log: (line) => process.stderr.write(`${line}\n`),
    ...(flags["log-dir"] !== undefined ? { logDir: flags["log-dir"] } : {}),
  });
  process.stdout.write(`${formatChaosReport(report)}\n`);
  exitCode = report.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`chaos run failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await killAll();
}
process.exit(exitCode);
