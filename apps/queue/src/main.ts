// The queue program: parse flags, build the broker and server, listen, stop on a signal.
import { readFileSync } from "node:fs";
import { defaultCoreConfig } from "@djq/core";
import { FlagError, choiceFlag, createLogger, durationMsFlag, exitOnFlagError, flagOrEnvironment, integerFlag, logFormats, logLevels, onShutdownSignal, packageVersion, parseFlags, portFlag, type DjqSetting } from "@djq/runtime";
import { startDashboard } from "./dashboard/dashboard-server.js";
import { startQueueServer } from "./index.js";
import { payloadLimitBytes } from "./job-sizes.js";
import { defaultMemoryBytes } from "./memory-default.js";
import { fsyncModes } from "./journal/index.js";
import { defaultQueueConfig as d, type QueueConfig } from "./queue-config.js";
import { defaultJournalSettings as dj, type JournalSettings } from "./queue-journal.js";

const memoryDefault = defaultMemoryBytes();
const usage = `Usage: djq-queue [flags]        the djq coordinator (all state in memory)

  --host HOST                        listen address (env DJQ_HOST; default ${d.host}; warns if exposed without secrets)
  --port PORT                        TCP port, 0 for any free one, up to 65535 (env DJQ_PORT; default ${d.port})
  --heartbeat-interval-ms MS         how often workers must send a heartbeat (default ${d.heartbeatIntervalMs})
  --heartbeat-timeout-ms MS          silence after which a worker is lost and its jobs requeued (default ${defaultCoreConfig.heartbeatTimeoutMs})
  --client-heartbeat-interval-ms MS  how often clients check that the queue answers (default ${d.clientHeartbeatIntervalMs})
  --client-heartbeat-timeout-ms MS   silence after which a client hangs up and reconnects (default ${d.clientHeartbeatTimeoutMs})
  --job-timeout-ms MS                default run timeout of an attempt (default ${defaultCoreConfig.defaultTimeoutMs})
  --max-attempts N                   default attempts before a job fails for good (default ${defaultCoreConfig.defaultMaxAttempts})
  --retry-base-ms MS                 first retry backoff, doubling per attempt (default ${defaultCoreConfig.retry.baseMs})
  --retry-max-ms MS                  backoff ceiling (default ${defaultCoreConfig.retry.maxMs})
  --max-jobs N                       unfinished jobs held at most; more is refused as queue-full (default ${defaultCoreConfig.maxUnfinishedJobs})
  --max-queues N                     distinct queue names in use at once; a queue is forgotten once it holds no
                                     job, is not paused and no worker serves it (default ${defaultCoreConfig.maxQueues})
  --max-payload-bytes BYTES          largest job payload; lowered if a job could not fit a frame (default ${d.maxPayloadBytes})
  --max-result-bytes BYTES           largest result a worker may complete a job with (default ${defaultCoreConfig.memory.maxResultBytes},
                                     or a quarter of --max-frame-bytes if that is less)
  --max-memory-bytes BYTES           job data held at most (records, payloads, results); past it submissions are
                                     queue-full and the oldest settled jobs are evicted (default here ${memoryDefault}:
                                     a quarter of the machine's memory, at most a third of the heap limit)
  --max-frame-bytes BYTES            longest message line (default ${d.maxFrameBytes})
  --max-connections N                concurrent connections (default ${d.maxConnections})
  --max-errors N                     bad messages before a connection is closed (default ${d.maxErrors})
  --hello-timeout-ms MS              time a new connection has to say hello (default ${d.helloTimeoutMs})
  --line-timeout-ms MS               time a started line has to reach its newline (default ${d.lineTimeoutMs})
  --max-output-bytes BYTES           unsent bytes held for a slow reader before dropping it (default ${d.maxOutputBytes})
  --retention-jobs N                 settled jobs kept for look-ups (default ${defaultCoreConfig.retention.maxJobs})
  --retention-ms MS                  how long settled jobs are kept (default ${defaultCoreConfig.retention.maxAgeMs})
  --idempotency-ms MS                how long submission keys are remembered (default ${defaultCoreConfig.idempotency.windowMs})
  --client-secret SECRET             secret clients must present (env DJQ_CLIENT_SECRET)
  --worker-secret SECRET             secret workers must present (env DJQ_WORKER_SECRET)
  --tls-cert FILE                    serve TLS with this certificate, beside --tls-key (env DJQ_TLS_CERT)
  --tls-key FILE                     the certificate's private key (env DJQ_TLS_KEY)
  --dashboard-port PORT              serve the web dashboard and /metrics on --host at this port,
                                     0 for any free one (default off)
  --grace-ms MS                      on SIGINT/SIGTERM, how long to wait for running jobs (default ${d.graceMs})
  --journal DIR                      record every acknowledged change in DIR and recover from it on start
                                     (default off: nothing touches the disk); one queue per directory
  --journal-fsync MODE               always: every reply waits for its records' fdatasync (one per batch, shared);
                                     interval: it waits for the write, a sync follows within
                                     --journal-fsync-interval-ms (a power cut can lose that much; a crash of the
                                     queue alone loses nothing) (${fsyncModes.join("|")}; default ${dj.fsync})
  --journal-fsync-interval-ms MS     how often interval mode syncs (default ${dj.fsyncIntervalMs})
  --journal-grace-ms MS              after recovery, how long running jobs wait for their workers to reconnect
                                     before they are requeued (default ${dj.recoveryGraceMs})
  --journal-segment-bytes BYTES      a segment file past this size is closed, the next write starts a new one
                                     (default ${dj.segmentBytes})
  --journal-compact-min-bytes BYTES  compaction waits until the segments since the last snapshot hold this much
                                     and more than the snapshot (default ${dj.minCompactBytes})
  --journal-max-unwritten-bytes BYTES
                                     past this many bytes of records not yet on disk and replies held for them
                                     (a slow or stalled disk) the queue stops reading clients' and workers'
                                     requests until the disk catches up; liveness connections are still read
                                     (default ${dj.maxUnwrittenBytes})
  --journal-start-anyway             start from the last good record when the journal is damaged, setting the
                                     rest aside as .broken files (default: refuse to start, naming file and offset)
  --check-invariants                 verify the core's invariants after every event (slow; for testing)
  --log-level LEVEL                  ${logLevels.join("|")} (default info)
  --log-format FORMAT                ${logFormats.join("|")} (default text)
  -h, --help                         this text
  --version                          the version

A flag wins over its environment variable.`;

const s = { type: "string" } as const;
const flagSpec = {
  host: s, port: s, "heartbeat-interval-ms": s, "heartbeat-timeout-ms": s, "client-heartbeat-interval-ms": s, "client-heartbeat-timeout-ms": s, "job-timeout-ms": s, "max-attempts": s,
  "retry-base-ms": s, "retry-max-ms": s, "max-jobs": s, "max-queues": s, "max-payload-bytes": s, "max-frame-bytes": s, "max-result-bytes": s, "max-memory-bytes": s, "line-timeout-ms": s,
  "max-connections": s, "max-errors": s, "hello-timeout-ms": s, "max-output-bytes": s, "retention-jobs": s,
  "retention-ms": s, "idempotency-ms": s, "client-secret": s, "worker-secret": s, "tls-cert": s, "tls-key": s,
  "dashboard-port": s, "grace-ms": s, "log-level": s, "log-format": s, "check-invariants": { type: "boolean" },
  journal: s, "journal-fsync": s, "journal-fsync-interval-ms": s, "journal-grace-ms": s, "journal-segment-bytes": s, "journal-compact-min-bytes": s, "journal-max-unwritten-bytes": s, "journal-start-anyway": { type: "boolean" },
} as const;

// Every flag is read and range-checked here, before anything listens: a wrong one exits 2.
const { config, dashboardPort, logLevel, logFormat } = exitOnFlagError("djq-queue", () => {
  const { values: f } = parseFlags(process.argv.slice(2), { command: "djq-queue", options: flagSpec, usage, version: packageVersion(import.meta.url) });
  const core = defaultCoreConfig;
  const int = (name: keyof typeof f, fallback: number, min = 0) => integerFlag(name, f[name] as string | undefined, fallback, min);
  const ms = (name: keyof typeof f, fallback: number, min = 0) => durationMsFlag(name, f[name] as string | undefined, fallback, min);
  const flagOrEnv = (name: keyof typeof f, setting: DjqSetting) => flagOrEnvironment(f[name] as string | undefined, setting);
  const maxFrameBytes = int("max-frame-bytes", d.maxFrameBytes, 64);
  const certFile = flagOrEnv("tls-cert", "tlsCert");
  const keyFile = flagOrEnv("tls-key", "tlsKey");
  const config: QueueConfig = {
    host: flagOrEnv("host", "host") ?? d.host,
    port: portFlag("port", flagOrEnv("port", "port"), d.port, 0),
    heartbeatIntervalMs: ms("heartbeat-interval-ms", d.heartbeatIntervalMs, 10),
    clientHeartbeatIntervalMs: ms("client-heartbeat-interval-ms", d.clientHeartbeatIntervalMs, 10),
    clientHeartbeatTimeoutMs: ms("client-heartbeat-timeout-ms", d.clientHeartbeatTimeoutMs, 20),
    core: {
      ...core,
      heartbeatTimeoutMs: ms("heartbeat-timeout-ms", core.heartbeatTimeoutMs, 20),
      defaultTimeoutMs: ms("job-timeout-ms", core.defaultTimeoutMs, 1),
      defaultMaxAttempts: int("max-attempts", core.defaultMaxAttempts, 1),
      retry: { baseMs: ms("retry-base-ms", core.retry.baseMs), maxMs: ms("retry-max-ms", core.retry.maxMs) },
      maxUnfinishedJobs: int("max-jobs", core.maxUnfinishedJobs, 1),
      maxQueues: int("max-queues", core.maxQueues, 1),
      retention: { maxJobs: int("retention-jobs", core.retention.maxJobs), maxAgeMs: ms("retention-ms", core.retention.maxAgeMs) },
      idempotency: { ...core.idempotency, windowMs: ms("idempotency-ms", core.idempotency.windowMs) },
      memory: { maxBytes: int("max-memory-bytes", memoryDefault, 1), maxResultBytes: int("max-result-bytes", Math.min(core.memory.maxResultBytes, Math.floor(maxFrameBytes / 4))) },
      maxAssignBytes: maxFrameBytes - 1024,
    },
    maxFrameBytes,
    maxPayloadBytes: int("max-payload-bytes", d.maxPayloadBytes, 0),
    maxConnections: int("max-connections", d.maxConnections, 1),
    maxErrors: int("max-errors", d.maxErrors),
    helloTimeoutMs: ms("hello-timeout-ms", d.helloTimeoutMs, 1),
    lineTimeoutMs: ms("line-timeout-ms", d.lineTimeoutMs, 1),
    maxOutputBytes: int("max-output-bytes", d.maxOutputBytes, 1024),
    clientSecret: flagOrEnv("client-secret", "clientSecret"),
    workerSecret: flagOrEnv("worker-secret", "workerSecret"),
    tls: certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : undefined,
    graceMs: ms("grace-ms", d.graceMs),
    checkInvariants: f["check-invariants"] === true,
    journal: journalSettings(f, int, ms),
  };
  if (payloadLimitBytes(config) < 1) {
    throw new FlagError(`--max-frame-bytes ${config.maxFrameBytes} leaves no room for a payload beside a result of --max-result-bytes ${config.core.memory.maxResultBytes} and a job's other fields`);
  }
  return {
    config,
    dashboardPort: f["dashboard-port"] === undefined ? undefined : portFlag("dashboard-port", f["dashboard-port"], 0, 0),
    logLevel: choiceFlag("log-level", f["log-level"], logLevels, "info"),
    logFormat: choiceFlag("log-format", f["log-format"], logFormats, "text"),
  };
});
const log = createLogger({ program: "queue", level: logLevel, format: logFormat });

const queue = await startQueueServer(config, log).catch((error: unknown) => {
  // A damaged journal, a locked directory, a disk that refuses the start's record: one line, no stack.
  log.error("queue.start-failed", { reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
log.info("queue.listening", { host: queue.host, port: queue.port, tls: config.tls !== undefined, run: queue.broker.queueRunId });
const loopback = /^(127\.|::1$|localhost$)/.test(config.host);
if (!loopback && (config.clientSecret === undefined || config.workerSecret === undefined)) {
  log.warn("SECURITY", {
    message: `listening on ${config.host} without ${config.clientSecret === undefined ? "a client secret" : "a worker secret"}: anyone who can reach this port can submit or take jobs`,
  });
}
const dashboard = dashboardPort === undefined ? undefined
  : await startDashboard(queue.broker, { host: config.host, port: dashboardPort, clientSecret: config.clientSecret }, log);
onShutdownSignal(async (signal) => {
  log.info("queue.signal", { signal });
  await queue.shutDown();
  await dashboard?.close();
});

function journalSettings(
  f: Partial<Record<keyof typeof flagSpec, string | boolean>>,
  int: (name: keyof typeof flagSpec, fallback: number, min?: number) => number,
  ms: (name: keyof typeof flagSpec, fallback: number, min?: number) => number,
): JournalSettings | undefined {
  const dir = f.journal as string | undefined;
  const journalFlags = ["journal-fsync", "journal-fsync-interval-ms", "journal-grace-ms", "journal-segment-bytes", "journal-compact-min-bytes", "journal-max-unwritten-bytes", "journal-start-anyway"] as const;
  const named = journalFlags.filter((name) => f[name] !== undefined);
  if (dir === undefined) {
    if (named.length > 0) throw new FlagError(`--${named[0]} needs --journal DIR`);
    return undefined;
  }
  if (dir === "") throw new FlagError("--journal needs a directory");
  return {
    ...dj,
    dir,
    fsync: choiceFlag("journal-fsync", f["journal-fsync"] as string | undefined, fsyncModes, dj.fsync),
    fsyncIntervalMs: ms("journal-fsync-interval-ms", dj.fsyncIntervalMs, 1),
    recoveryGraceMs: ms("journal-grace-ms", dj.recoveryGraceMs),
    segmentBytes: int("journal-segment-bytes", dj.segmentBytes, 4096),
    minCompactBytes: int("journal-compact-min-bytes", dj.minCompactBytes, 0),
    maxUnwrittenBytes: int("journal-max-unwritten-bytes", dj.maxUnwrittenBytes, 1024),
    startAnyway: f["journal-start-anyway"] === true,
  };
}
