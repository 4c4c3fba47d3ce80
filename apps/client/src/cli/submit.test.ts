import { ErrorCode } from "@djq/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo } from "../test-support/capture-io.js";
import { FakeQueue } from "@djq/runtime/testing";
import { runCli } from "./run-cli.js";

let queue: FakeQueue;
beforeEach(async () => {
  queue = await FakeQueue.start();
});
afterEach(async () => {
  expect(queue.badFrames).toEqual([]);
  await queue.stop();
});

describe("djq submit", () => {
  it("submits --count jobs of --duration and prints every id as ranges", async () => {
    const io = captureIo();
    const running = runCli(["submit", "--port", String(queue.port), "--count", "20", "--duration", "500"], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("submit");
    expect(request.jobs).toHaveLength(20);
    expect(request.jobs[0]).toEqual({ durationMs: 500 });
    expect(request.watch).toBeUndefined();
    conn.reply(request, { type: "submitted", jobIds: Array.from({ length: 20 }, (_, i) => i + 1) });
    expect(await running).toBe(0);
    expect(io.stdout).toBe("submitted 20 jobs: 1-20\n");
  });

  it("prints a JSON array of ids with --json and passes every job flag through", async () => {
    const io = captureIo();
    const argv = ["submit", "--port", String(queue.port), "--json", "--payload", '{"n":1}', "--type", "resize", "--queue", "images"];
    argv.push("--priority", "9", "--delay", "1000", "--timeout", "3000", "--max-attempts", "2", "--key", "k1");
    const running = runCli(argv, io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("submit");
    expect(request.key).toBe("k1");
    expect(request.jobs).toEqual([
      { durationMs: 100, payload: { n: 1 }, type: "resize", queue: "images", priority: 9, delayMs: 1000, timeoutMs: 3000, maxAttempts: 2 },
    ]);
    conn.reply(request, { type: "submitted", jobIds: [3] });
    expect(await running).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual([3]);
  });

  it("with --wait prints each job's final state and exits 1 when one failed", async () => {
    const io = captureIo();
    const running = runCli(["submit", "--port", String(queue.port), "--count", "3", "--wait"], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("submit");
    expect(request.watch).toBe(true);
    conn.reply(request, { type: "submitted", jobIds: [1, 2, 3] });
    conn.push({ type: "settled", jobs: [{ jobId: 2, state: "failed", error: "boom" }] });
    conn.push({ type: "settled", jobs: [{ jobId: 1, state: "completed", result: { ok: true } }] });
    conn.push({ type: "settled", jobs: [{ jobId: 3, state: "completed" }] });
    expect(await running).toBe(1);
    const lines = io.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("submitted 3 jobs: 1-3");
    expect(lines[1]).toMatch(/^progress 0\/3 done, 0 failed/);
    expect(lines.slice(-4)).toEqual([
      'job 1 completed {"ok":true}',
      "job 2 failed: boom",
      "job 3 completed",
      "3 jobs settled: 2 completed, 1 failed, 0 cancelled",
    ]);
  });

  it("with --wait --json prints one array of settled jobs and exits 0 when all completed", async () => {
    const io = captureIo();
    const running = runCli(["submit", "--port", String(queue.port), "--wait", "--json"], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [8] });
    conn.push({ type: "settled", jobs: [{ jobId: 8, state: "completed", result: 1 }] });
    expect(await running).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual([{ jobId: 8, state: "completed", result: 1 }]);
    expect(io.stderr).toMatch(/progress 1\/1 done/);
  });

  it("prints the queue's refusal with its code and exits 1", async () => {
    const io = captureIo();
    const running = runCli(["submit", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.replyError(await conn.expect("submit"), ErrorCode.queueFull, "the queue holds 1000000 unfinished jobs");
    expect(await running).toBe(1);
    expect(io.stderr).toBe("error: the queue holds 1000000 unfinished jobs (queue-full)\n");
  });

  it("reads the secret from DJQ_CLIENT_SECRET", async () => {
    await queue.stop();
    queue = await FakeQueue.start({ secret: "from-env" });
    const io = captureIo({ env: { DJQ_CLIENT_SECRET: "from-env" } });
    const running = runCli(["submit", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1] });
    expect(await running).toBe(0);
    expect(conn.hello?.secret).toBe("from-env");
  });

  it("finds the queue at DJQ_HOST and DJQ_PORT when no flag names it", async () => {
    const io = captureIo({ env: { DJQ_HOST: "127.0.0.1", DJQ_PORT: String(queue.port) } });
    const running = runCli(["submit"], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1] });
    expect(await running).toBe(0);
  });

  it("takes --port and --secret over DJQ_PORT and DJQ_CLIENT_SECRET", async () => {
    await queue.stop();
    queue = await FakeQueue.start({ secret: "from-flag" });
    const io = captureIo({ env: { DJQ_PORT: "1", DJQ_CLIENT_SECRET: "from-env" } });
    const running = runCli(["submit", "--port", String(queue.port), "--secret", "from-flag"], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1] });
    expect(await running).toBe(0);
    expect(conn.hello?.secret).toBe("from-flag");
  });

  it("refuses a --payload that is not JSON with exit code 2", async () => {
    const io = captureIo();
    expect(await runCli(["submit", "--port", String(queue.port), "--payload", "{nope"], io)).toBe(2);
    expect(io.stderr).toMatch(/^--payload is not JSON/);
  });
});
