// The bench's programs (queue, worker CLI, producer, bench worker, idle clients, floor broker) and
// how it starts them, through the same process harness as the end-to-end tests (tests/src/harness).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { connectClient, type DjqClient } from "@djq/client";
import { start, startCommand, type Program, type StartOptions } from "e2e/harness/processes";

export { killAll, type Program } from "e2e/harness/processes";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const programs = {
  queue: `${repoRoot}apps/queue/dist/main.js`,
  workerCli: `${repoRoot}apps/worker/dist/main.js`,
  producer: `${repoRoot}bench/dist/programs/producer.js`,
  benchWorker: `${repoRoot}bench/dist/programs/bench-worker.js`,
  idleClients: `${repoRoot}bench/dist/programs/idle-clients.js`,
  floorBroker: `${repoRoot}bench/dist/programs/floor-broker.js`,
  floorPeer: `${repoRoot}bench/dist/programs/floor-peer.js`,
  beanstalkPeer: `${repoRoot}bench/dist/programs/beanstalk-peer.js`,
  queueProbe: pathToFileURL(`${repoRoot}bench/dist/programs/queue-probe.js`).href,
} as const;

/** Bytes of stderr kept per process, for error messages and counting warnings. */
const STDERR_KEPT = 256 * 1024;

export type SpawnOptions = Pick<StartOptions, "nodeFlags" | "ipc">;

/** A bench process: the tests' Program, run from the repository root, stdout dropped, stderr's tail kept. */
export function spawnProgram(name: string, script: string, args: string[], options: SpawnOptions = {}): Program {
  return start(name, script, args, { ...options, cwd: repoRoot, ignoreStdout: true, keepStderrChars: STDERR_KEPT });
}

/** A program that is not a Node script, its stderr's tail kept. */
export function spawnCommand(name: string, command: string, args: string[]): Program {
  return startCommand(name, command, args, { keepStderrChars: STDERR_KEPT });
}

/** A port nothing listens on now, found here since the queue is given its port. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface QueueProcess extends Program {
  port: number;
}

/** The real queue on a free port, at its default log level as a user runs it (its stderr read as a
 * log collector reads it); resolves once a client gets its welcome. */
export async function startQueue(args: string[] = [], options: SpawnOptions = {}, startTimeoutMs = 15_000): Promise<{ queue: QueueProcess; control: DjqClient }> {
  const port = await freePort();
  const queue = Object.assign(spawnProgram("queue", programs.queue, ["--port", String(port), ...args], options), { port });
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    try {
      const control = await connectClient({ port, connectTimeoutMs: 1_000 });
      return { queue, control };
    } catch (error) {
      if (Date.now() > deadline || queue.child.exitCode !== null) throw new Error(`the queue did not start: ${(error as Error).message}\n${queue.stderr}`);
      await delay(20);
    }
  }
}

/** Waits (outside any measurement) until `count` worker connections have a fetch open. */
export async function waitForWaitingWorkers(control: DjqClient, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { workers } = await control.stats();
    const waiting = workers.filter((worker) => worker.waiting).length;
    if (waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${waiting} of ${count} worker connections were waiting after ${timeoutMs} ms`);
    await delay(20);
  }
}

/**
 * Write and read system calls the process has made so far (`syscw`, `syscr` of /proc/PID/io): a
 * socket write or writev counts one. Undefined off Linux or where the file may not be read.
 */
export function syscallCounts(pid: number): { writes: number; reads: number } | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const writes = /^syscw: (\d+)$/m.exec(io)?.[1];
    const reads = /^syscr: (\d+)$/m.exec(io)?.[1];
    return writes === undefined || reads === undefined ? undefined : { writes: Number(writes), reads: Number(reads) };
  } catch {
    return undefined;
  }
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system, all threads) the process has used so far, in ms; undefined off Linux. */
export function cpuTimeMs(pid: number): number | undefined {
  const times = cpuTimesMs(pid);
  return times === undefined ? undefined : times.user + times.system;
}

/** CPU time in user space and in the kernel the process has used so far, in ms; undefined off Linux. */
export function cpuTimesMs(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return { user: (Number(fields[11]) * 1000) / ticksPerSecond, system: (Number(fields[12]) * 1000) / ticksPerSecond };
  } catch {
    return undefined;
  }
}
