// One chaos run end to end: the real queue, workers behind partition relays and client processes,
// a seeded chaos loop against the workers while the clients' jobs flow, then the report from the
// queue's own records. Everything it starts it also ends, on success, failure or error.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectClient, type JobView } from "@djq/client";
import { freePort } from "../harness/free-port.js";
import { start, startQueue, type Program, type QueueProcess } from "../harness/processes.js";
import { runChaosLoop, type ChaosAction } from "./chaos-loop.js";
import { buildChaosReport, type ChaosReport, type ClientOutcome, type FinalListing } from "./chaos-report.js";
import { parseClientSummary } from "./client-summary.js";
import { SeededRandom } from "./seeded-random.js";
import { WorkerFleet } from "./worker-fleet.js";

export interface ChaosOptions {
  /** How long the chaos loop acts. Clients submit over the first three quarters of it. */
  durationMs: number;
  workers: number;
  clients: number;
  /** Jobs in all, split evenly between the clients. */
  jobs: number;
  seed: number;
  /** Jobs each worker runs at once. Default 4. */
  concurrency?: number;
  /** After the chaos ends, how long the clients get to see every job settle. Default 30 s. */
  settleTimeoutMs?: number;
  /** Run the queue with --check-invariants (costly with many jobs). Default false. */
  checkInvariants?: boolean;
  /** Progress lines (seed, each action); default none. */
  log?: (line: string) => void;
  /** Write every process's stderr (JSON logs) and stdout here at the end, for a post-mortem. */
  logDir?: string;
  /** SIGKILL the queue this many times during the chaos, evenly spaced, and restart it at once on
   * the same port and journal (the queue runs with --journal). Default 0: the queue is left alone. */
  queueKills?: number;
}

/** The queue's flags for chaos: fast failure detection and retries, attempts to spare. */
export const chaosQueueFlags = [
  "--heartbeat-interval-ms", "200",
  "--heartbeat-timeout-ms", "800",
  "--retry-base-ms", "20",
  "--retry-max-ms", "200",
  "--max-attempts", "20",
  "--hello-timeout-ms", "2000",
  // The checker reads each job's path from the log (`jobs.submitted`, `job.completed`), at debug.
  "--log-level", "debug",
];

/** A queue that cannot list its jobs within this long counts as having lost them. */
const FINAL_LISTING_MS = 30_000;
const LOG_CATCH_UP_MS = 2_000;

const clientScript = fileURLToPath(new URL("../../dist/chaos/chaos-client.js", import.meta.url));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 4;
  const settleTimeoutMs = options.settleTimeoutMs ?? 30_000;
  const random = new SeededRandom(options.seed);
  const startedAt = Date.now();
  const abort = new AbortController();
  log(`chaos: seed=${options.seed} (replay with --seed ${options.seed} or DJQ_SEED=${options.seed})`);

  let queue: QueueProcess | undefined;
  const queues: QueueProcess[] = [];
  let fleet: WorkerFleet | undefined;
  const clients: Program[] = [];
  const queueKills = options.queueKills ?? 0;
  const journalDir = queueKills > 0 ? await mkdtemp(join(tmpdir(), "djq-chaos-journal-")) : undefined;
  try {
    const queueFlags = [...chaosQueueFlags, ...(options.checkInvariants === true ? ["--check-invariants"] : [])];
    // Killed and restarted, it must come back on the port the relays and clients know.
    if (journalDir !== undefined) queueFlags.push("--journal", journalDir, "--journal-grace-ms", "2000", "--port", String(await freePort()));
    let queueExit: { code: number | null; signal: string | null } | undefined;
    let killing = false;
    let queueDied!: Promise<void>;
    const startTheQueue = async () => {
      queue = await startQueue(queueFlags);
      queues.push(queue);
      // A queue that dies on its own ends the chaos and the wait for clients at once.
      queueDied = queue.exited.then((exit) => {
        if (abort.signal.aborted || killing) return;
        queueExit = exit;
        abort.abort();
      });
    };
    await startTheQueue();
    queue = queue as QueueProcess;
    fleet = await WorkerFleet.start({ queuePort: queue.port, count: options.workers, concurrency });
    log(`chaos: queue on port ${queue.port}, ${options.workers} workers up`);

    const spreadMs = Math.round(options.durationMs * 0.75);
    const clientsStartedAt = Date.now();
    for (let index = 0; index < options.clients; index += 1) {
      const share = Math.floor((options.jobs * (index + 1)) / options.clients) - Math.floor((options.jobs * index) / options.clients);
      clients.push(
        start(`chaos-client-${index}`, clientScript, [
          "--port", String(queue.port),
          "--client", `c${index}`,
          "--jobs", String(share),
          "--seed", String((options.seed + index + 1) >>> 0),
          "--spread-ms", String(spreadMs),
          "--wait-timeout-ms", String(options.durationMs + settleTimeoutMs - 2_000),
        ]),
      );
    }

    const queueKiller = (async () => {
      for (let kill = 1; kill <= queueKills; kill += 1) {
        await abortableDelay(Math.round(options.durationMs / (queueKills + 1)), abort.signal);
        if (abort.signal.aborted) return;
        killing = true;
        const victim = queue as QueueProcess;
        victim.kill("SIGKILL");
        await victim.exited;
        await startTheQueue();
        killing = false;
        log(`chaos: +${((Date.now() - startedAt) / 1000).toFixed(1)}s queue SIGKILLed and restarted (${kill}/${queueKills})`);
      }
    })();
    const actions: ChaosAction[] = await runChaosLoop({
      fleet,
      random,
      durationMs: options.durationMs,
      maxActions: Math.ceil(options.durationMs / 300),
      maxImpaired: Math.max(1, Math.floor(options.workers / 2)),
      gapMs: [200, 1_000],
      impairMs: [500, 2_000],
      downMs: [100, 1_000],
      signal: abort.signal,
      onAction: (action) => log(`chaos: +${((action.at - startedAt) / 1000).toFixed(1)}s ${action.kind} ${action.workerId} for ${action.forMs} ms`),
    });
    await queueKiller;
    log(`chaos: ${actions.length} actions done; waiting for the clients`);

    const clientOutcomes = await settleClients(clients, clientsStartedAt + options.durationMs + settleTimeoutMs, queueDied);
    // No report may reach the queue after its final listing: a worker thawed late could still send
    // a stale completion, refused and logged after the listing's count of refusals.
    await fleet.close();
    const final = queueExit === undefined ? await withinMs(FINAL_LISTING_MS, readFinalListing((queue as QueueProcess).port)) : undefined;
    if (final !== undefined) await logsCaughtUp(queues, "report.refused", final.stats.totals.staleRefused);
    const report = buildChaosReport({
      seed: options.seed,
      config: { durationMs: options.durationMs, workers: options.workers, concurrency, clients: options.clients, jobs: options.jobs },
      elapsedMs: Date.now() - startedAt,
      actions,
      queueLogs: queues.flatMap((q) => q.logs),
      queueExit,
      queueKills,
      workerLogs: fleet.programs.map((program) => program.logs),
      clients: clientOutcomes,
      final,
    });
    return report;
  } finally {
    abort.abort();
    for (const client of clients) client.kill("SIGKILL");
    await fleet?.close();
    for (const q of queues) q.kill("SIGKILL");
    await Promise.all([...clients, ...queues].map((program) => program.exited));
    if (journalDir !== undefined) await rm(journalDir, { recursive: true, force: true });
    if (options.logDir !== undefined) {
      const programs = [...queues, ...(fleet?.programs ?? []), ...clients];
      await writeLogs(options.logDir, programs);
      log(`chaos: logs of ${programs.length} processes written to ${options.logDir}`);
    }
  }
}

async function writeLogs(dir: string, programs: Program[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    programs.map(async (program, index) => {
      const base = join(dir, `${String(index).padStart(2, "0")}-${program.name}-${program.pid}`);
      await writeFile(`${base}.stderr.log`, program.stderr);
      if (program.stdout !== "") await writeFile(`${base}.stdout.log`, program.stdout);
    }),
  );
}

/** Waits for every client to exit until `deadlineAt` (or `giveUp`), then kills the rest; reads their summaries. */
async function settleClients(clients: Program[], deadlineAt: number, giveUp: Promise<void>): Promise<ClientOutcome[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadlineAt - Date.now()));
  });
  await Promise.race([Promise.all(clients.map((client) => client.exited)), deadline, giveUp]);
  clearTimeout(timer);
  return Promise.all(
    clients.map(async (client) => {
      client.kill("SIGKILL");
      const { code, signal } = await client.exited;
      return { name: client.name, code, signal, summary: parseClientSummary(client.stdout), stderrTail: client.stderr.slice(-2_000) };
    }),
  );
}

/** The queue's own account at the end: stats, every completed id, every failed and unsettled job. */
async function readFinalListing(port: number): Promise<FinalListing> {
  const client = await connectClient({ port });
  try {
    const stats = await client.stats();
    const completed: number[] = [];
    for await (const job of client.listAll({ state: "completed", limit: 500 })) completed.push(job.jobId);
    const failed = await collect(client.listAll({ state: "failed", limit: 500 }));
    const unsettled: JobView[] = [];
    for (const state of ["delayed", "pending", "running"] as const) unsettled.push(...(await collect(client.listAll({ state, limit: 500 }))));
    return { stats, completed, failed, unsettled };
  } finally {
    await client.close();
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** The listing came over TCP and the queue's log lines come down a pipe: they may still be on
 * their way. Waits (a bounded while) until the queues' logs hold `count` lines of `event`. */
async function logsCaughtUp(queues: readonly QueueProcess[], event: string, count: number): Promise<void> {
  const deadline = Date.now() + LOG_CATCH_UP_MS;
  while (queues.reduce((sum, queue) => sum + queue.events(event).length, 0) < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The promise's value, or undefined if it rejects or takes longer than `ms`. */
async function withinMs<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
