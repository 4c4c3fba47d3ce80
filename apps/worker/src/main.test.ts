// The worker program as an operator runs it: the built dist/main.js in a child process, against
// the fake queue. Run `tsc -b` first (turbo's test task does).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeQueue, assignment } from "@djq/runtime/testing";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
let queue: FakeQueue;
let children: ChildProcess[];

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: build the worker first (npx tsc -b)`);
});
beforeEach(async () => {
  queue = await FakeQueue.start({ scriptHello: true });
  children = [];
});
afterEach(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await queue.stop();
});

function run(...args: string[]) {
  const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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

  it("exits 2 with the usage on a wrong flag", async () => {
    const worker = run("--concurrency", "many");
    expect(await worker.exited).toBe(2);
    expect(worker.output().stderr).toContain("--concurrency must be a whole number");
  });

  it("on SIGTERM finishes the job it holds, reports it and exits 0", async () => {
    const worker = run("--port", String(queue.port), "--worker-id", "cli-1", "--log-format", "json", "--grace-ms", "5000");
    const { connection, hello } = await queue.nextSession();
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
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { durationMs: 10_000, payload: { crash: true } })]);
    expect(await worker.exited).toBe(1);
    expect(worker.events()).toContain("crash");
  });
});
