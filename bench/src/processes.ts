// Starts the real programs (queue, worker CLI) and the bench programs (producer, bench worker,
// idle clients) as child processes, talks to the bench programs over IPC, and kills every one of
// them when a run ends. Only this file spawns.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { connectClient, type DjqClient } from "@djq/client";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const programs = {
  queue: `${repoRoot}apps/queue/dist/main.js`,
  workerCli: `${repoRoot}apps/worker/dist/main.js`,
  producer: `${repoRoot}bench/dist/programs/producer.js`,
  benchWorker: `${repoRoot}bench/dist/programs/bench-worker.js`,
  idleClients: `${repoRoot}bench/dist/programs/idle-clients.js`,
  floorBroker: `${repoRoot}bench/dist/programs/floor-broker.js`,
  floorPeer: `${repoRoot}bench/dist/programs/floor-peer.js`,
  queueProbe: pathToFileURL(`${repoRoot}bench/dist/programs/queue-probe.js`).href,
} as const;

const live = new Set<BenchProcess>();
/** Bytes of stderr kept per process, for error messages and counting warnings. */
const STDERR_KEPT = 256 * 1024;

export interface SpawnOptions {
  nodeFlags?: string[];
  /** Open an IPC channel (the bench programs and the queue probe talk over it). */
  ipc?: boolean;
}

export class BenchProcess {
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly inbox: { type: string }[] = [];
  private waiters: { type: string; resolve: (message: { type: string }) => void }[] = [];

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    live.add(this);
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      this.stderr = (this.stderr + text).slice(-STDERR_KEPT);
    });
    child.on("message", (message: { type: string }) => {
      const waiter = this.waiters.find((w) => w.type === message.type || message.type === "error");
      if (waiter === undefined) this.inbox.push(message);
      else {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  send(message: object): void {
    this.child.send(message);
  }

  /** The next IPC message of this type (or an `error` message, which rejects). */
  async next<T extends { type: string }>(type: T["type"], timeoutMs: number): Promise<T> {
    const index = this.inbox.findIndex((m) => m.type === type || m.type === "error");
    let message: { type: string };
    if (index >= 0) message = this.inbox.splice(index, 1)[0] as { type: string };
    else {
      let resolve!: (message: { type: string }) => void;
      const arrived = new Promise<{ type: string }>((r) => (resolve = r));
      this.waiters.push({ type, resolve });
      const exited = this.exited.then(({ code, signal }) => {
        throw new Error(`${this.name} exited (code ${code}, signal ${signal}) while the bench waited for "${type}"${this.tail()}`);
      });
      const timer = delay(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`${this.name}: no "${type}" within ${timeoutMs} ms${this.tail()}`);
      });
      message = await Promise.race([arrived, exited, timer]);
    }
    if (message.type === "error") throw new Error(`${this.name}: ${(message as unknown as { message: string }).message}`);
    return message as T;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Log lines at warn or error level (text or JSON format). */
  warnings(): string[] {
    return this.stderr.split("\n").filter((line) => /"level":"(warn|error)"| (warn|error) +\S/.test(line));
  }

  private tail(): string {
    return this.stderr === "" ? "" : `; stderr tail:\n${this.stderr.slice(-2000)}`;
  }
}

export function spawnProgram(name: string, script: string, args: string[], options: SpawnOptions = {}): BenchProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), script, ...args], {
    stdio: ["ignore", "ignore", "pipe", ...(options.ipc === true ? (["ipc"] as const) : [])],
    cwd: repoRoot,
  });
  return new BenchProcess(name, child);
}

/** SIGKILLs (after SIGCONT, for a stopped one) every process still running, and waits for them. */
export async function killAll(): Promise<void> {
  const running = [...live];
  for (const program of running) {
    program.kill("SIGCONT");
    program.kill("SIGKILL");
  }
  await Promise.all(running.map((program) => program.exited));
}

/** A port nothing listens on now: the queue logs its port only at info, and benchmarks run at warn. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface QueueProcess extends BenchProcess {
  port: number;
}

/** The real queue at --log-level warn on a free port; resolves once a client gets its welcome. */
export async function startQueue(args: string[] = [], options: SpawnOptions = {}): Promise<{ queue: QueueProcess; control: DjqClient }> {
  const port = await freePort();
  const queue = Object.assign(spawnProgram("queue", programs.queue, ["--port", String(port), "--log-level", "warn", ...args], options), { port });
  const deadline = Date.now() + 15_000;
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
