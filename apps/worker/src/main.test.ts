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
    expect(worker.output().stdout).toContain("--concurrency <n>");
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

  it("exits 2 with the usage on a wrong flag", async () => {
    const worker = run("--concurrency", "many");
    expect(await worker.exited).toBe(2);
    expect(worker.output().stderr).toContain("--concurrency must be a whole number");
  });

  it("on SIGTERM finishes the job it holds, reports it and exits 0", async () => {
    const worker = run("--port", String(queue.port), "--worker-id", "cli-1", "--log-format", "json", "--grace-ms", "5000");
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
