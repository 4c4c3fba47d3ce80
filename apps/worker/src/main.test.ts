// The worker program as an operator runs it: the built dist/main.js in a child process, against
// the fake queue. Run `tsc -b` first (turbo's test task does).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeQueue, assignment } from "@djq/runtime/testing";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
/** A started program's first hello: Node's start-up takes seconds on a loaded machine (the
 * compiler run of typed-handlers.test.ts beside this file took 8 s in the whole suite). */
const START_MS = 20_000;
let queue: FakeQueue;
let children: ChildProcess[];
/** Environment variables added for the programs a test starts. */
let env: Record<string, string>;

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build the worker first (npx tsc -b)`);
});
beforeEach(async () => {
  env = {};
  queue = await FakeQueue.start({ scriptHello: true });
  children = [];
});
afterEach(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await queue.stop();
});

function run(...args: string[]) {
  const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const events = () => stderr.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { event: string }).event);
  return { child, exited, output: () => ({ stdout, stderr }), events };
}

describe("djq-worker", () => {
  it("prints its usage for --help and exits 0", async () => {
    const worker = run("--help");
    expect(await worker.exited).toBe(0);
    expect(worker.output().stdout).toMatch(/^Usage: djq-worker \[flags\]/);
    expect(worker.output().stdout).toContain("--concurrency N ");
    expect(worker.output().stdout).toContain("-h, --help");
  });

  it("prints its package's version for --version and exits 0", async () => {
    const worker = run("--version");
    expect(await worker.exited).toBe(0);
    expect(worker.output().stdout).toBe(`${version}\n`);
  });

  it("connects to DJQ_HOST:DJQ_PORT with DJQ_WORKER_SECRET when no flag says otherwise", async () => {
    env = { DJQ_HOST: "127.0.0.1", DJQ_PORT: String(queue.port), DJQ_WORKER_SECRET: "env-secret" };
    run("--worker-id", "env-1");
    const { hello } = await queue.nextSession({}, START_MS);
    expect(hello).toMatchObject({ workerId: "env-1", secret: "env-secret" });
  });

  it("exits 2 on a wrong flag with one line and a pointer to --help", async () => {
    const worker = run("--concurrency", "many");
    expect(await worker.exited).toBe(2);
    expect(worker.output().stderr).toBe('--concurrency must be a whole number from 1 to 1000, got "many"\nRun "djq-worker --help" to see the flags.\n');
  });

  it.each([
    [["positional"], 'unexpected argument "positional": this command takes flags only'],
    [["--port", "70000"], '--port must be a whole number from 1 to 65535, got "70000"'],
    [["--grace-ms", "99999999999"], '--grace-ms must be a whole number from 0 to 2147483647, got "99999999999"'],
    [["--concurency", "2"], "unknown flag --concurency (did you mean --concurrency?)"],
    [["--queues"], "--queues needs a value"],
    [["--queues", "a b"], '"a b" is not a queue name: use letters, digits and _ . : -'],
  ])("refuses %j before connecting, in one line, with exit code 2", async (args, message) => {
    const worker = run("--port", String(queue.port), ...args);
    const accepted = setTimeout(() => worker.child.kill("SIGKILL"), 15_000); // a bound, should it start after all
    expect(await worker.exited).toBe(2);
    clearTimeout(accepted);
    expect(worker.output().stderr).toBe(`${message}\nRun "djq-worker --help" to see the flags.\n`);
    expect(queue.connections).toEqual([]);
  });

  it("writes its queues as a JSON array in JSON logs", async () => {
    const worker = run("--port", String(queue.port), "--queues", "a,b", "--log-format", "json");
    await queue.nextSession({}, START_MS);
    while (!worker.events().includes("hello")) await new Promise((resolve) => setTimeout(resolve, 10));
    const hello = worker.output().stderr.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { event: string; queues?: unknown }).find((line) => line.event === "hello");
    expect(hello?.queues).toEqual(["a", "b"]);
  });

  it("on a second SIGTERM releases the job it runs, logs it and exits 130", async () => {
    const worker = run("--port", String(queue.port), "--log-format", "json", "--log-level", "debug", "--grace-ms", "60000");
    const { connection } = await queue.nextSession({}, START_MS);
    connection.assign(await connection.expect("fetch"), [assignment(1, { durationMs: 60_000 })]);
    while (!worker.events().includes("job.started")) await new Promise((resolve) => setTimeout(resolve, 10));
    worker.child.kill("SIGTERM");
    connection.reply(await connection.expect("withdraw"), { type: "ok" });
    while (!worker.events().includes("stopping")) await new Promise((resolve) => setTimeout(resolve, 10));
    worker.child.kill("SIGTERM");
    const release = await connection.expect("release");
    expect(release.jobs).toEqual([{ jobId: 1, lease: 10 }]);
    connection.ack(release);
    expect(await worker.exited).toBe(130);
    expect(worker.events()).toEqual(expect.arrayContaining(["signal", "stopping", "signal.again", "release"]));
  });

  it("on SIGTERM finishes the job it holds, reports it and exits 0", async () => {
    const worker = run("--port", String(queue.port), "--worker-id", "cli-1", "--log-format", "json", "--log-level", "debug", "--grace-ms", "5000");
    const { connection, hello } = await queue.nextSession({}, START_MS);
    expect(hello).toMatchObject({ workerId: "cli-1", queues: ["default"] });
    connection.assign(await connection.expect("fetch"), [assignment(1, { durationMs: 300 })]);
    while (!worker.events().includes("job.started")) await new Promise((resolve) => setTimeout(resolve, 10));
    worker.child.kill("SIGTERM");
    connection.reply(await connection.expect("withdraw"), { type: "ok" });
    const complete = await connection.expect("complete");
    expect(complete.jobs[0]).toMatchObject({ jobId: 1, lease: 10, result: { workerId: "cli-1" } });
    connection.ack(complete);
    expect(await worker.exited).toBe(0);
    expect(worker.events()).toEqual(expect.arrayContaining(["connected", "hello", "job.started", "stopping", "job.completed", "stopped"]));
  });

  it("exits 1 at once on a job that asks it to crash", async () => {
    const worker = run("--port", String(queue.port), "--log-format", "json");
    const { connection } = await queue.nextSession({}, START_MS);
    connection.assign(await connection.expect("fetch"), [assignment(1, { durationMs: 10_000, payload: { crash: true } })]);
    expect(await worker.exited).toBe(1);
    expect(worker.events()).toContain("crash");
  });
});
