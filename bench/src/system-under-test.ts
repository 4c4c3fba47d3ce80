// One fresh djq system per run: the queue, a fleet of worker processes, a producer process and,
// if asked, a process holding idle client connections. Everything is set up and ready (workers
// waiting with a fetch open) before the body runs, and everything is killed after it.
import type { DjqClient } from "@djq/client";
import type { IdleClientsReport } from "./bench-messages.js";
import { killAll, programs, spawnProgram, startQueue, waitForWaitingWorkers, type Program, type QueueProcess, type SpawnOptions } from "./processes.js";

export interface WorkerFleet {
  /** "cli": the real worker program (apps/worker); "library": bench workers that time each job start. */
  program: "cli" | "library";
  processes: number;
  /** Library workers (each its own connection) per process; the CLI always has one. */
  workersPerProcess: number;
  concurrency: number;
  /**
   * Library only, diagnostic: a zero-duration job returns at once instead of going through the
   * sleep handler's setTimeout(0), which Node stretches to 1 ms.
   */
  instant?: boolean;
  /** Library only: the user's shape, its own handler for the user job type on the user queue. */
  user?: boolean;
}

export interface SystemSetup {
  queueArgs?: string[];
  queueSpawn?: SpawnOptions;
  fleet?: WorkerFleet;
  idleClients?: number;
}

export interface System {
  queue: QueueProcess;
  /** The orchestrator's own client: stats, pause, setup submits. Never on a measured path. */
  control: DjqClient;
  workers: Program[];
  producer: Program;
}

const SETUP_MS = 30_000;

export function connectionsOf(fleet: WorkerFleet): number {
  return fleet.processes * (fleet.program === "cli" ? 1 : fleet.workersPerProcess);
}

export async function startWorkers(port: number, fleet: WorkerFleet, namePrefix = "w", args: string[] = []): Promise<Program[]> {
  const workers = Array.from({ length: fleet.processes }, (_, index) => {
    const id = `${namePrefix}${index}`;
    return fleet.program === "cli"
      ? spawnProgram(`worker ${id}`, programs.workerCli, ["--port", String(port), "--concurrency", String(fleet.concurrency), "--worker-id", id, ...args])
      : spawnProgram(
          `bench worker ${id}`,
          programs.benchWorker,
          ["--port", String(port), "--id", id, "--workers", String(fleet.workersPerProcess), "--concurrency", String(fleet.concurrency), ...(fleet.instant ? ["--instant"] : []), ...(fleet.user ? ["--user"] : []), ...args],
          { ipc: true },
        );
  });
  if (fleet.program === "library") await Promise.all(workers.map((worker) => worker.next("ready", SETUP_MS)));
  return workers;
}

export async function withSystem<T>(setup: SystemSetup, body: (system: System) => Promise<T>): Promise<T> {
  let control: DjqClient | undefined;
  let queue: QueueProcess | undefined;
  try {
    const started = await startQueue(setup.queueArgs, setup.queueSpawn);
    control = started.control;
    queue = started.queue;
    const producer = spawnProgram("producer", programs.producer, ["--port", String(queue.port)], { ipc: true });
    const idle = setup.idleClients ? spawnProgram("idle clients", programs.idleClients, ["--port", String(queue.port), "--clients", String(setup.idleClients)], { ipc: true }) : undefined;
    const workers = setup.fleet ? await startWorkers(queue.port, setup.fleet) : [];
    await producer.next("ready", SETUP_MS);
    if (idle) {
      const ready = await idle.next<Extract<IdleClientsReport, { type: "ready" }>>("ready", 120_000);
      if (ready.opened !== setup.idleClients) throw new Error(`opened ${ready.opened} idle clients, not ${setup.idleClients}`);
    }
    if (setup.fleet) await waitForWaitingWorkers(control, connectionsOf(setup.fleet), SETUP_MS);
    return await body({ queue, control, workers, producer });
  } catch (error) {
    // Whatever failed, the queue's own account of it is the first thing to read.
    const exit = queue?.child.exitCode ?? queue?.child.signalCode;
    const account = queue === undefined ? "" : `\nqueue ${exit === null ? "still running" : `exited (${exit})`}; its stderr tail:\n${queue.stderr.slice(-3000)}`;
    throw new Error(`${(error as Error).message}${account}`, { cause: error });
  } finally {
    await control?.close().catch(() => undefined);
    await killAll();
  }
}
