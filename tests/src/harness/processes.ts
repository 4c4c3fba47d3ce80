// Starts the real programs as child processes, for the tests and the benchmark alike: JSON logs
// parsed so a test can wait for the events they log, an IPC channel for the bench programs, and
// every process killed for real when a test file or a bench run ends. Only this file spawns.
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
export const programs = {
  queue: `${root}apps/queue/dist/main.js`,
  worker: `${root}apps/worker/dist/main.js`,
  client: `${root}apps/client/dist/main.js`,
} as const;

export type LogEvent = { event: string; level: string; [field: string]: unknown };

const live = new Set<Program>();

export interface StartOptions {
  env?: Record<string, string>;
  nodeFlags?: string[];
  /** Open an IPC channel (the bench programs and the queue probe talk over it). */
  ipc?: boolean;
  cwd?: string;
  /** Keep only this much of stderr's tail (a long benchmark's logs); all of it by default. */
  keepStderrChars?: number;
  /** Drop stdout instead of keeping it (a program that prints as much as it works). */
  ignoreStdout?: boolean;
  /** Run under this command (e.g. prlimit with a file-size limit), which then runs node. */
  wrapper?: string[];
}

type IpcMessage = { type: string };

export class Program {
  readonly logs: LogEvent[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { match: (e: LogEvent) => boolean; resolve: (e: LogEvent) => void }[] = [];
  private readonly inbox: IpcMessage[] = [];
  private messageWaiters: { type: string; resolve: (message: IpcMessage) => void }[] = [];

  constructor(readonly name: string, readonly child: ChildProcess, keepStderrChars = Infinity) {
    live.add(this);
    let partial = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      this.stderr += text;
      if (this.stderr.length > keepStderrChars) this.stderr = this.stderr.slice(-keepStderrChars);
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.takeLine(line);
    });
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      this.stdout += text;
    });
    child.on("message", (message: IpcMessage) => {
      const waiter = this.messageWaiters.find((w) => w.type === message.type || message.type === "error");
      if (waiter === undefined) this.inbox.push(message);
      else {
        this.messageWaiters = this.messageWaiters.filter((w) => w !== waiter);
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

  /** Resolves with the first logged event (past or future) that matches. */
  waitForLog(match: (e: LogEvent) => boolean, timeoutMs = 15_000, what = "a log event"): Promise<LogEvent> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; stderr tail:\n${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      const done = (e: LogEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  waitForEvent(event: string, fields: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<LogEvent> {
    return this.waitForLog(
      (e) => e.event === event && Object.entries(fields).every(([k, v]) => e[k] === v),
      timeoutMs,
      `"${event}" ${JSON.stringify(fields)}`,
    );
  }

  events(event: string): LogEvent[] {
    return this.logs.filter((e) => e.event === event);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  send(message: object): void {
    this.child.send(message);
  }

  /** The next IPC message of this type (or an `error` message, which rejects). */
  async next<T extends IpcMessage>(type: T["type"], timeoutMs: number): Promise<T> {
    const index = this.inbox.findIndex((m) => m.type === type || m.type === "error");
    let message: IpcMessage;
    if (index >= 0) message = this.inbox.splice(index, 1)[0] as IpcMessage;
    else {
      let resolve!: (message: IpcMessage) => void;
      const arrived = new Promise<IpcMessage>((r) => (resolve = r));
      this.messageWaiters.push({ type, resolve });
      const exited = this.exited.then(({ code, signal }) => {
        throw new Error(`${this.name} exited (code ${code}, signal ${signal}) while waiting for "${type}"${this.tail()}`);
      });
      const timer = delay(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`${this.name}: no "${type}" within ${timeoutMs} ms${this.tail()}`);
      });
      message = await Promise.race([arrived, exited, timer]);
    }
    if (message.type === "error") throw new Error(`${this.name}: ${(message as unknown as { message: string }).message}`);
    return message as T;
  }

  /** Log lines at warn or error level (text or JSON format). */
  warnings(): string[] {
    return this.stderr.split("\n").filter((line) => /"level":"(warn|error)"| (warn|error) +\S/.test(line));
  }

  private tail(): string {
    return this.stderr === "" ? "" : `; stderr tail:\n${this.stderr.slice(-2000)}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async stop(boundMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill("SIGCONT");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), boundMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  private takeLine(line: string): void {
    if (!line.startsWith("{")) return;
    let event: LogEvent;
    try {
      event = JSON.parse(line) as LogEvent;
    } catch {
      return;
    }
    this.logs.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(event);
      }
    }
  }
}

export function start(name: string, script: string, args: string[], options: StartOptions = {}): Program {
  const [command, ...wrapperArgs] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(command as string, [...wrapperArgs, ...(options.nodeFlags ?? []), script, ...args], {
    stdio: ["ignore", options.ignoreStdout ? "ignore" : "pipe", "pipe", ...(options.ipc === true ? (["ipc"] as const) : [])],
    env: { ...process.env, ...options.env },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  return new Program(name, child, options.keepStderrChars);
}

/** A program that is not a Node script (a peer queue server the bench compares djq with). */
export function startCommand(name: string, command: string, args: string[], options: Pick<StartOptions, "keepStderrChars"> = {}): Program {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  return new Program(name, child, options.keepStderrChars);
}

export interface QueueProcess extends Program {
  port: number;
}

/** The real queue on an ephemeral port; resolves once it listens. */
export async function startQueue(args: string[] = [], env: Record<string, string> = {}, wrapper?: string[]): Promise<QueueProcess> {
  const queue = start("queue", programs.queue, ["--port", "0", "--log-format", "json", "--log-level", "debug", ...args], { env, ...(wrapper !== undefined ? { wrapper } : {}) });
  const listening = await queue.waitForEvent("queue.listening");
  return Object.assign(queue, { port: listening.port as number });
}

export async function startWorker(port: number, args: string[] = [], env: Record<string, string> = {}): Promise<Program> {
  const worker = start("worker", programs.worker, ["--port", String(port), "--log-format", "json", "--log-level", "debug", ...args], { env });
  return worker;
}

/** Runs one client command to its end and returns its output. */
export async function runClient(
  port: number,
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...rest] = args;
  const client = start("client", programs.client, [command as string, "--port", String(port), ...rest], { env: options.env ?? {} });
  const timer = setTimeout(() => client.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const { code } = await client.exited;
  clearTimeout(timer);
  return { code, stdout: client.stdout, stderr: client.stderr };
}

export async function killAll(): Promise<void> {
  const running = [...live];
  for (const program of running) {
    program.kill("SIGCONT");
    program.kill("SIGKILL");
  }
  await Promise.all(running.map((p) => p.exited));
}

// Under vitest, no process outlives its test; scripts (chaos, bench) call killAll themselves.
if (process.env.VITEST) {
  const { afterAll, afterEach } = await import("vitest");
  afterEach(killAll);
  afterAll(killAll);
}
