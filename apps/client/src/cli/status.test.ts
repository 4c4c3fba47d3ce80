import type { JobView } from "@djq/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo } from "../test-support/capture-io.js";
import { FakeQueue } from "@djq/runtime/testing";
import { runCli } from "./run-cli.js";

const at = Date.UTC(2025, 0, 2, 3, 4, 5);
const job: JobView = {
  jobId: 7,
  queue: "default",
  type: "sleep",
  state: "failed",
  priority: 5,
  durationMs: 500,
  submittedAt: at,
  attempts: 2,
  maxAttempts: 2,
  timeoutMs: 30_000,
  error: "boom",
  settledAt: at + 1_600,
  history: [
    { attempt: 1, lease: 1, workerId: "w-1", startedAt: at + 100, endedAt: at + 600, outcome: "worker-lost" },
    { attempt: 2, lease: 2, workerId: "w-2", startedAt: at + 1_100, endedAt: at + 1_600, outcome: "failed", error: "boom" },
  ],
};

let queue: FakeQueue;
beforeEach(async () => {
  queue = await FakeQueue.start();
});
afterEach(async () => {
  await queue.stop();
});

describe("djq status", () => {
  it("prints the job's fields and one line per attempt", async () => {
    const io = captureIo();
    const running = runCli(["status", "7", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("status");
    expect(request.jobId).toBe(7);
    conn.reply(request, { type: "job", job });
    expect(await running).toBe(0);
    expect(io.stdout).toBe(
      [
        "job 7",
        "  state      failed",
        "  queue      default",
        "  type       sleep",
        "  priority   5",
        "  attempts   2 of 2",
        "  submitted  2025-01-02T03:04:05.000Z",
        "  settled    2025-01-02T03:04:06.600Z",
        "  error      boom",
        "history",
        "  #1 worker w-1  started 2025-01-02T03:04:05.100Z  ended 2025-01-02T03:04:05.600Z (500 ms)  worker-lost",
        "  #2 worker w-2  started 2025-01-02T03:04:06.100Z  ended 2025-01-02T03:04:06.600Z (500 ms)  failed: boom",
        "",
      ].join("\n"),
    );
  });

  it("prints the job record as JSON with --json", async () => {
    const io = captureIo();
    const running = runCli(["status", "7", "--json", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("status"), { type: "job", job });
    expect(await running).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual(job);
  });

  it("says which job the queue does not know and exits 1", async () => {
    const io = captureIo();
    const running = runCli(["status", "99", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.replyError(await conn.expect("status"), "unknown-job", "no job 99");
    expect(await running).toBe(1);
    expect(io.stderr).toBe("error: no job 99 (unknown-job)\n");
  });
});
