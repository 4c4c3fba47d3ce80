import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo } from "../test-support/capture-io.js";
import { FakeQueue } from "@djq/runtime/testing";
import { runCli } from "./run-cli.js";

let queue: FakeQueue;
beforeEach(async () => {
  queue = await FakeQueue.start();
});
afterEach(async () => {
  await queue.stop();
});

const zeroCounts = { delayed: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };

describe("djq", () => {
  it("lists the commands with --help and exits 0", async () => {
    const io = captureIo();
    expect(await runCli(["--help"], io)).toBe(0);
    for (const name of ["submit", "status", "stats", "list", "cancel", "retry", "pause", "resume"]) {
      expect(io.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  });

  it("prints the version it is given for --version and exits 0", async () => {
    const io = captureIo();
    expect(await runCli(["--version"], io, "9.8.7")).toBe(0);
    expect(io.stdout).toBe("9.8.7\n");
  });

  it("refuses an unknown command with exit code 2", async () => {
    const io = captureIo();
    expect(await runCli(["sumbit"], io)).toBe(2);
    expect(io.stderr).toMatch(/^unknown command "sumbit"/);
  });

  it("says where it could not connect", async () => {
    const port = queue.port;
    await queue.stop();
    queue = await FakeQueue.start();
    const io = captureIo();
    expect(await runCli(["stats", "--port", String(port)], io)).toBe(1);
    expect(io.stderr).toMatch(new RegExp(`^error: could not reach the queue at 127.0.0.1:${port}: `));
  });

  it("stats prints counts, workers, last-minute completions, the oldest pending age and the job data held", async () => {
    const io = captureIo();
    const running = runCli(["stats", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), {
      type: "stats",
      at: Date.UTC(2025, 0, 1),
      queueRunId: "run-1",
      counts: { ...zeroCounts, pending: 4, running: 1, completed: 90 },
      totals: { submitted: 95, completed: 90, failed: 0, cancelled: 0, reassigned: 0, retried: 0, staleRefused: 0 },
      queues: { default: { counts: { ...zeroCounts, pending: 4 }, paused: true } },
      workers: [
        { workerId: "w-1", queues: ["default"], connectedAt: 0, lastSeenAt: 0, waiting: false, running: [{ jobId: 5, lease: 1, attempt: 1, startedAt: 0 }] },
        { workerId: "w-2", queues: ["default"], connectedAt: 0, lastSeenAt: 0, waiting: true, running: [] },
      ],
      completedPerSecond: [10, 20, 30],
      oldestPendingAgeMs: 2_500,
      memory: { heldBytes: 2_000, limitBytes: 1_000_000 },
      recent: [],
    });
    expect(await running).toBe(0);
    expect(io.stdout).toBe(
      [
        "queue run run-1 at 2025-01-01T00:00:00.000Z",
        "jobs            delayed 0  pending 4  running 1  completed 90  failed 0  cancelled 0",
        "workers         2 connected, 1 busy",
        "completed       60 in the last minute",
        "oldest pending  2.5s",
        "job data        2000 of 1000000 bytes (the memory budget)",
        "queues",
        "  default (paused)  delayed 0  pending 4  running 0  completed 0  failed 0  cancelled 0",
        "",
      ].join("\n"),
    );
  });

  it("list sends the filter and prints a table with the next page's flag", async () => {
    const io = captureIo();
    const running = runCli(["list", "--state", "failed", "--queue", "q", "--limit", "1", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("list");
    expect(request).toMatchObject({ state: "failed", queue: "q", limit: 1 });
    conn.reply(request, {
      type: "jobs",
      jobs: [
        { jobId: 3, queue: "q", type: "sleep", state: "failed", priority: 5, durationMs: 1, submittedAt: 0, attempts: 3, maxAttempts: 3, timeoutMs: 1, error: "boom\nstack", history: [] },
      ],
      next: 3,
    });
    expect(await running).toBe(0);
    expect(io.stdout).toBe("id  state   queue  type   attempts  error\n3   failed  q      sleep  3/3       boom\nmore: --after 3\n");
  });

  it("list refuses a state that does not exist", async () => {
    const io = captureIo();
    expect(await runCli(["list", "--state", "broken"], io)).toBe(2);
    expect(io.stderr).toMatch(/^--state must be one of delayed, pending/);
  });

  it.each([
    ["cancel", "7", "cancel", { jobId: 7 }, "cancelled job 7"],
    ["retry", "7", "retry", { jobId: 7 }, "retried job 7"],
    ["pause", "mail", "pause", { queue: "mail" }, "paused queue mail"],
    ["resume", "mail", "resume", { queue: "mail" }, "resumed queue mail"],
  ] as const)("%s %s sends one request and confirms it", async (command, argument, type, fields, confirmation) => {
    const io = captureIo();
    const running = runCli([command, argument, "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect(type);
    expect(request).toMatchObject(fields);
    conn.reply(request, { type: "ok" });
    expect(await running).toBe(0);
    expect(io.stdout).toBe(`${confirmation}\n`);
  });
});
