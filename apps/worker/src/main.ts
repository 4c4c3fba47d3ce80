#!/usr/bin/env node
// The worker program: flags in, one library Worker running the built-in sleep handler, one log
// line per event out. Everything it does is the library's; this file only wires it up.
import { readFileSync } from "node:fs";
import { FlagError, choiceFlag, createLogger, durationMsFlag, exitOnFlagError, flagOrEnvironment, integerFlag, logFormats, logLevels, onShutdownSignal, packageVersion, parseFlags, portFlag } from "@djq/runtime";
import { MAX_FETCH } from "@djq/protocol";
import { createWorker } from "./index.js";
import type { WorkerOptions } from "./worker-options.js";

const usage = `Usage: djq-worker [flags]        runs jobs of the built-in sleep type for a djq queue

  --host HOST              queue host (env DJQ_HOST; default 127.0.0.1)
  --port PORT              queue port, 1 to 65535 (env DJQ_PORT; default 7070)
  --queues A,B             queues to serve, comma-separated (default default)
  --concurrency N          jobs run at once, 1 to ${MAX_FETCH} (default 1)
  --worker-id ID           stable id across reconnects (default host-pid-random)
  --secret SECRET          shared secret (env DJQ_WORKER_SECRET)
  --tls-ca FILE            connect with TLS, trusting this CA (env DJQ_TLS_CA)
  --tls-servername NAME    name on the queue's certificate (env DJQ_TLS_SERVERNAME; default the host)
  --grace-ms MS            on SIGINT/SIGTERM, how long running jobs may finish (default 30000);
                           a second signal releases them at once and exits 130
  --stuck-loop-kill-ms MS  after the queue times out a job while a handler still blocks the event
                           loop, kill the process if the loop stays blocked this long; 0 never (default 2000)
  --log-level LEVEL        ${logLevels.join("|")} (default info)
  --log-format FORMAT      ${logFormats.join("|")} (default text)
  -h, --help               this text
  --version                the version

A flag wins over its environment variable.`;

/** How long a second Ctrl-C may spend handing running jobs back before the process exits. */
const HURRY_BOUND_MS = 3_000;

// Every flag is read and checked here, before the worker connects: a wrong one exits 2.
const { worker, graceMs, logger } = exitOnFlagError("djq-worker", () => {
  const { values: flags } = parseFlags(process.argv.slice(2), {
    command: "djq-worker",
    options: {
      host: { type: "string" },
      port: { type: "string" },
      queues: { type: "string", default: "default" },
      concurrency: { type: "string" },
      "worker-id": { type: "string" },
      secret: { type: "string" },
      "tls-ca": { type: "string" },
      "tls-servername": { type: "string" },
      "log-level": { type: "string" },
      "log-format": { type: "string" },
      "grace-ms": { type: "string" },
      "stuck-loop-kill-ms": { type: "string" },
    },
    usage,
    version: packageVersion(import.meta.url),
  });
  const logger = createLogger({
    program: "worker",
    level: choiceFlag("log-level", flags["log-level"], logLevels, "info"),
    format: choiceFlag("log-format", flags["log-format"], logFormats, "text"),
  });
  const caFile = flagOrEnvironment(flags["tls-ca"], "tlsCa");
  const servername = flagOrEnvironment(flags["tls-servername"], "tlsServername");
  const secret = flagOrEnvironment(flags.secret, "workerSecret");
  const options: WorkerOptions = {
    host: flagOrEnvironment(flags.host, "host") ?? "127.0.0.1",
    port: portFlag("port", flagOrEnvironment(flags.port, "port"), 7070),
    ...(caFile !== undefined ? { tls: { ca: readFileSync(caFile), ...(servername !== undefined ? { servername } : {}) } } : {}),
    ...(secret !== undefined ? { secret } : {}),
    ...(flags["worker-id"] !== undefined ? { workerId: flags["worker-id"] } : {}),
    queues: flags.queues.split(",").map((queue) => queue.trim()).filter((queue) => queue !== ""),
    concurrency: integerFlag("concurrency", flags.concurrency, 1, 1, MAX_FETCH),
    stuckLoopKillMs: durationMsFlag("stuck-loop-kill-ms", flags["stuck-loop-kill-ms"], 2_000, 0),
    // Only the program may die on a poison job; the library's default refuses to.
    sleep: { onCrash: () => (logger.error("crash", { reason: "a job asked this worker to crash" }), process.exit(1)) },
    logger,
  };
  const graceMs = durationMsFlag("grace-ms", flags["grace-ms"], 30_000);
  try {
    return { worker: createWorker(options), graceMs, logger }; // its checks of queues, concurrency and id
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
});

let stopping = false;
onShutdownSignal(
  async (signal) => {
    stopping = true;
    logger.info("signal", { signal });
    await worker.stop({ graceMs });
  },
  {
    // A second Ctrl-C: hand running jobs back now, so none loses an attempt as worker-lost.
    hurry: async (signal) => {
      logger.warn("signal.again", { signal, action: "releasing running jobs and exiting", boundMs: HURRY_BOUND_MS });
      await worker.stop({ graceMs: 0 });
    },
    hurryBoundMs: HURRY_BOUND_MS,
  },
);
worker.start().catch((error: Error) => {
  if (stopping) return; // a signal came before the first session; stop() sees the exit through
  logger.error("fatal", { reason: error.message });
  process.exit(1);
});
