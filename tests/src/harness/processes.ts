// Starts the real programs as child processes with JSON logs, so tests can wait for the events
// they log and kill them for real. Every process started is killed when the test file ends.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
export const programs = {
  queue: `${root}apps/queue/dist/main.js`,
  worker: `${root}apps/worker/dist/main.js`,
  client: `${root}apps/client/dist/main.js`,
} as const;

export type LogEvent = { event: string; level: string; [field: string]: unknown };

const live = new Set<Program>();

export class Program {
  readonly logs: LogEvent[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { match: (e: LogEvent) => boolean; resolve: (e: LogEvent) => void }[] = [];

  constructor(readonly name: string, readonly child: ChildProcess) {
    live.add(this);
    let partial = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      this.stderr += text;
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.takeLine(line);
    });
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      this.stdout += text;
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
    this.child.kill(signal);
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

export function start(name: string, script: string, args: string[], env: Record<string, string> = {}): Program {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  return new Program(name, child);
}

export interface QueueProcess extends Program {
  port: number;
}

/** The real queue on an ephemeral port; resolves once it listens. */
export async function startQueue(args: string[] = [], env: Record<string, string> = {}): Promise<QueueProcess> {
  const queue = start("queue", programs.queue, ["--port", "0", "--log-format", "json", "--log-level", "debug", ...args], env);
  const listening = await queue.waitForEvent("queue.listening");
  return Object.assign(queue, { port: listening.port as number });
}

export async function startWorker(port: number, args: string[] = [], env: Record<string, string> = {}): Promise<Program> {
  const worker = start("worker", programs.worker, ["--port", String(port), "--log-format", "json", "--log-level", "debug", ...args], env);
  return worker;
}

/** Runs one client command to its end and returns its output. */
export async function runClient(
  port: number,
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...rest] = args;
  const client = start("client", programs.client, [command as string, "--port", String(port), ...rest], options.env);
  const timer = setTimeout(() => client.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const { code } = await client.exited;
  clearTimeout(timer);
  return { code, stdout: client.stdout, stderr: client.stderr };
}

export async function killAll(): Promise<void> {
  const running = [...live];
  for (const program of running) {
    program.child.kill("SIGCONT");
    program.child.kill("SIGKILL");
  }
  await Promise.all(running.map((p) => p.exited));
}

// Under vitest, no process outlives its test; scripts (chaos, bench) call killAll themselves.
if (process.env.VITEST) {
  const { afterAll, afterEach } = await import("vitest");
  afterEach(killAll);
  afterAll(killAll);
}
