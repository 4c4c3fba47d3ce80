#!/usr/bin/env node
// The worker program: flags in, one library Worker running the built-in sleep handler, one log
// line per event out. Everything it does is the library's; this file only wires it up.
import { readFileSync } from "node:fs";
import { createLogger, flagOrEnvironment, integerFlag, logFormats, logLevels, onShutdownSignal, packageVersion, parseFlags, type LogFormat, type LogLevel } from "@djq/runtime";
import { createWorker } from "./index.js";

const usage = `usage: djq-worker [flags]
  --host <host>          queue host (or env DJQ_HOST; default 127.0.0.1)
  --port <port>          queue port (or env DJQ_PORT; default 7070)
  --queues <a,b>         queues to serve, comma-separated (default "default")
  --concurrency <n>      jobs run at once, 1-1000 (default 1)
  --worker-id <id>       stable id across reconnects (default host-pid-random)
  --secret <s>           shared secret (or env DJQ_WORKER_SECRET)
  --tls-ca <file>        connect with TLS, trusting this CA (or env DJQ_TLS_CA)
  --tls-servername <n>   name on the queue's certificate (or env DJQ_TLS_SERVERNAME; default the host)
  --log-level <level>    ${logLevels.join("|")} (default info)
  --log-format <format>  ${logFormats.join("|")} (default text)
  --grace-ms <ms>        on SIGINT/SIGTERM, how long running jobs may finish (default 30000)
  --stuck-loop-kill-ms <ms>  after the queue times out a job while a handler still blocks the
                         event loop, kill the process if the loop stays blocked this long; 0 never (default 2000)
  --version              the version
A flag wins over its environment variable.`;

const { values: flags } = parseFlags(process.argv.slice(2), {
  host: { type: "string" },
  port: { type: "string" },
  queues: { type: "string", default: "default" },
  concurrency: { type: "string" },
  "worker-id": { type: "string" },
  secret: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-servername": { type: "string" },
  "log-level": { type: "string", default: "info" },
  "log-format": { type: "string", default: "text" },
  "grace-ms": { type: "string" },
  "stuck-loop-kill-ms": { type: "string" },
}, usage, packageVersion(import.meta.url));

const die = (message: string): never => {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
};
const level = flags["log-level"] as LogLevel;
const format = flags["log-format"] as LogFormat;
if (!logLevels.includes(level)) die(`--log-level must be one of ${logLevels.join(", ")}`);
if (!logFormats.includes(format)) die(`--log-format must be one of ${logFormats.join(", ")}`);
const logger = createLogger({ program: "worker", level, format });
const caFile = flagOrEnvironment(flags["tls-ca"], "tlsCa");
const servername = flagOrEnvironment(flags["tls-servername"], "tlsServername");
const graceMs = integerFlag("grace-ms", flags["grace-ms"], 30_000);

const secret = flagOrEnvironment(flags.secret, "workerSecret");
const worker = (() => {
  try {
    return createWorker({
      host: flagOrEnvironment(flags.host, "host") ?? "127.0.0.1",
      port: integerFlag("port", flagOrEnvironment(flags.port, "port"), 7070, 1),
      ...(caFile !== undefined ? { tls: { ca: readFileSync(caFile), ...(servername !== undefined ? { servername } : {}) } } : {}),
      ...(secret !== undefined ? { secret } : {}),
      ...(flags["worker-id"] !== undefined ? { workerId: flags["worker-id"] } : {}),
      queues: flags.queues.split(",").map((queue) => queue.trim()).filter((queue) => queue !== ""),
      concurrency: integerFlag("concurrency", flags.concurrency, 1, 1),
      stuckLoopKillMs: integerFlag("stuck-loop-kill-ms", flags["stuck-loop-kill-ms"], 2_000, 0),
      // Only the program may die on a poison job; the library's default refuses to.
      sleep: { onCrash: () => (logger.error("crash", { reason: "a job asked this worker to crash" }), process.exit(1)) },
      logger,
    });
  } catch (error) {
    return die((error as Error).message);
  }
})();

let stopping = false;
onShutdownSignal(async (signal) => {
  stopping = true;
  logger.info("signal", { signal });
  await worker.stop({ graceMs });
});
worker.start().catch((error: Error) => {
  if (stopping) return; // a signal came before the first session; stop() sees the exit through
  logger.error("fatal", { reason: error.message });
  process.exit(1);
});
