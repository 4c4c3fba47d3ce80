// Hostile peers measured in bytes, not counts: what one peer can make the queue hold (unsent
// replies, half-sent lines, job data) has a byte bound, and nothing the queue sends is longer
// than the frame limit it announced. Each test is one of the attacks that used to cost the queue
// its memory or its jobs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runClient, startQueue as startRealQueue, startWorker, type QueueProcess } from "./harness/processes.js";
import { cliJson } from "./harness/client-cli.js";
import { client, connect } from "./harness/raw-peers.js";
import type { RawSocket } from "./harness/raw-socket.js";
import { until } from "./harness/waiting.js";

const startQueue = (args: string[] = []) => startRealQueue(["--heartbeat-timeout-ms", "60000", ...args]);

/** Resident memory of a process, from the kernel's own count. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:")) ?? "";
  return Number(/(\d+)/.exec(line)?.[1] ?? Number.NaN) * 1024;
}

const MIB = 1024 * 1024;
/** A payload whose encoding is 60,000 bytes: under the default 64 KiB payload limit. */
const payload60k = { blob: "x".repeat(60_000 - 11) };

async function submitLarge(socket: RawSocket, count: number, perSubmit = 15): Promise<void> {
  for (let sent = 0; sent < count; sent += perSubmit) {
    const jobs = Array.from({ length: Math.min(perSubmit, count - sent) }, () => ({ payload: payload60k }));
    expect(await socket.request({ id: `s${sent}`, type: "submit", jobs }, 20_000)).toMatchObject({ type: "submitted" });
  }
}

describe("a client that asks for more than it reads", () => {
  it("drops the client and keeps every job when pipelined lists would build hundreds of megabytes of replies", async () => {
    const queue = await startQueue();
    const submitter = await client(queue);
    await submitLarge(submitter, 510);
    const flooder = await client(queue);
    flooder.socket.pause();
    flooder.write(Array.from({ length: 18 }, (_, i) => `{"id":${i + 1},"type":"list","state":"pending","limit":500}\n`).join(""));
    await flooder.waitClosed(30_000);
    const overflow = await queue.waitForEvent("connection.overflow");
    expect(overflow.code).toBe("output-overflow");
    expect(queue.child.exitCode).toBeNull();
    expect(await submitter.request({ id: "after", type: "stats" })).toMatchObject({ counts: { pending: 510 } });
  }, 90_000);

  it("drops a reader that stops reading within 1.1 times the output limit, for small replies and for large ones", async () => {
    const limit = MIB;
    const queue = await startQueue(["--max-output-bytes", String(limit)]);
    const submitter = await client(queue);
    await submitLarge(submitter, 20, 10);

    const statsFlood = await client(queue);
    statsFlood.socket.pause();
    statsFlood.write(`{"id":1,"type":"stats"}\n`.repeat(20_000));
    await statsFlood.waitClosed(30_000);
    const listFlood = await client(queue);
    listFlood.socket.pause();
    listFlood.write(`{"id":1,"type":"list","state":"pending","limit":50}\n`.repeat(5_000));
    await listFlood.waitClosed(30_000);

    await until(() => queue.events("connection.overflow").length >= 2, "two overflow events", 10_000);
    const unsent = queue.events("connection.overflow").map((e) => e.unsentBytes as number);
    for (const bytes of unsent) expect(bytes / limit).toBeLessThanOrEqual(1.1);
    expect(await submitter.request({ id: "after", type: "stats" })).toMatchObject({ counts: { pending: 20 } });
  }, 90_000);
});

describe("frames the queue sends", () => {
  it("keeps every list page and assign batch within the announced frame limit, so a client lists and a worker of 40 completes every large job", async () => {
    const queue = await startQueue();
    const submitter = await client(queue);
    const welcome = await (await connect(queue.port)).hello("client");
    const maxFrameBytes = welcome.maxFrameBytes as number;
    await submitLarge(submitter, 40, 10);

    const lister = await client(queue);
    const page = await lister.request({ id: 1, type: "list", state: "pending", limit: 50 });
    expect((page.jobs as unknown[]).length).toBeGreaterThan(0);
    expect(page.next).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(page)) + 1).toBeLessThanOrEqual(maxFrameBytes);

    const listed = await cliJson<{ jobs: unknown[] }>(queue.port, ["list", "--state", "pending"]);
    expect(listed.jobs.length).toBeGreaterThan(0);

    const rawWorker = await connect(queue.port);
    await rawWorker.hello("worker", { workerId: "raw" });
    const assign = await rawWorker.request({ id: 1, type: "fetch", max: 40 });
    expect(assign.type).toBe("assign");
    expect(Buffer.byteLength(JSON.stringify(assign)) + 1).toBeLessThanOrEqual(maxFrameBytes);
    rawWorker.close();

    const worker = await startWorker(queue.port, ["--concurrency", "40"]);
    await until(async () => ((await submitter.request({ id: "c", type: "stats" })) as { counts: { completed: number } }).counts.completed === 40, "40 completed jobs", 30_000);
    const stats = (await submitter.request({ id: "end", type: "stats" })) as { counts: Record<string, number> };
    expect(stats.counts.failed).toBe(0);
    await worker.stop();
  }, 60_000);

  it("splits the settled notices of a watch into lines that each fit the frame, however large the results", async () => {
    const maxFrameBytes = 65_536;
    const queue = await startQueue(["--max-frame-bytes", String(maxFrameBytes)]);
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: Array.from({ length: 10 }, () => ({})) })) as { jobIds: number[] };
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "big-results" });
    const assign = (await worker.request({ id: 2, type: "fetch", max: 10 })) as { jobs: { jobId: number; lease: number }[] };
    for (const [i, job] of assign.jobs.entries()) {
      expect(await worker.request({ id: `c${i}`, type: "complete", jobs: [{ jobId: job.jobId, lease: job.lease, result: "r".repeat(15_000) }] })).toMatchObject({ refused: [] });
    }
    const watcher = await client(queue);
    const lines: string[] = [];
    watcher.socket.on("data", (text: string) => lines.push(text));
    expect(await watcher.request({ id: 3, type: "watch", jobIds })).toMatchObject({ type: "ok" });
    const seen = new Set<number>();
    while (seen.size < jobIds.length) {
      const notice = (await watcher.next()) as { type: string; jobs: { jobId: number }[] };
      expect(notice.type).toBe("settled");
      for (const job of notice.jobs) seen.add(job.jobId);
    }
    const longest = Math.max(...lines.join("").split("\n").map((line) => Buffer.byteLength(line) + 1));
    expect(longest).toBeLessThanOrEqual(maxFrameBytes);
  });

  it("keeps an ack that refuses every report of a batch within the frame, dropping messages rather than codes", async () => {
    const maxFrameBytes = 65_536;
    const queue = await startQueue(["--max-frame-bytes", String(maxFrameBytes)]);
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "liar" });
    const lines: string[] = [];
    worker.socket.on("data", (text: string) => lines.push(text));
    // Jobs this worker never held: each comes back refused, with a sentence saying why.
    const jobs = Array.from({ length: 800 }, (_, i) => ({ jobId: 1_000_000 + i, lease: 1, error: "x" }));
    const ack = (await worker.request({ id: 1, type: "fail", jobs })) as { type: string; refused: { jobId: number; code: string; message: string }[] };
    expect(ack.type).toBe("ack");
    expect(ack.refused.map((r) => r.jobId)).toEqual(jobs.map((j) => j.jobId));
    expect(ack.refused.every((r) => r.code === "unknown-job")).toBe(true);
    expect(ack.refused[0]?.message).not.toBe("");
    const longest = Math.max(...lines.join("").split("\n").map((line) => Buffer.byteLength(line) + 1));
    expect(longest).toBeLessThanOrEqual(maxFrameBytes);
  });

  it("refuses whole, changing nothing, a report batch longer than code-only refusals could answer in one frame", async () => {
    const maxFrameBytes = 4096;
    const queue = await startQueue(["--max-frame-bytes", String(maxFrameBytes)]);
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: [{}] })) as { jobIds: number[] };
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "tiny-frames" });
    const assign = (await worker.request({ id: 2, type: "fetch", max: 1 })) as { jobs: { jobId: number; lease: number }[] };
    const { jobId, lease } = assign.jobs[0] as { jobId: number; lease: number };
    const held = { jobId, lease };
    expect(held.jobId).toBe(jobIds[0]);
    const lines: string[] = [];
    worker.socket.on("data", (text: string) => lines.push(text));
    const strangers = Array.from({ length: 120 }, (_, i) => ({ jobId: 1_000_000 + i, lease: 1 }));
    const reply = await worker.request({ id: 3, type: "complete", jobs: [held, ...strangers] });
    expect(reply).toMatchObject({ type: "error", code: "batch-too-large" });
    const longest = Math.max(...lines.join("").split("\n").map((line) => Buffer.byteLength(line) + 1));
    expect(longest).toBeLessThanOrEqual(maxFrameBytes);
    expect(await submitter.request({ id: 4, type: "stats" })).toMatchObject({ counts: { running: 1, completed: 0 } });
  });

  it("cuts the workers list of a stats reply to fit the frame, saying how many it left out, and djq stats says so", async () => {
    const maxFrameBytes = 8_192;
    const queue = await startQueue(["--max-frame-bytes", String(maxFrameBytes)]);
    const submitter = await client(queue);
    expect(await submitter.request({ id: 1, type: "submit", jobs: Array.from({ length: 200 }, () => ({})) })).toMatchObject({ type: "submitted" });
    // 40 workers each running 5 jobs: about 22 KB of worker views.
    for (let i = 0; i < 40; i += 1) {
      const worker = await connect(queue.port);
      await worker.hello("worker", { workerId: `busy-${i}` });
      expect(await worker.request({ id: 1, type: "fetch", max: 5 })).toMatchObject({ type: "assign", jobs: { length: 5 } });
    }
    const reader = await client(queue);
    const lines: string[] = [];
    reader.socket.on("data", (text: string) => lines.push(text));
    const stats = (await reader.request({ id: 2, type: "stats" })) as { workers: unknown[]; workersNotShown?: number; counts: { running: number } };
    expect(stats.counts.running).toBe(200);
    expect(stats.workers.length).toBeGreaterThan(0);
    expect(stats.workersNotShown).toBe(40 - stats.workers.length);
    expect(Math.max(...lines.join("").split("\n").map((line) => Buffer.byteLength(line) + 1))).toBeLessThanOrEqual(maxFrameBytes);
    const printed = await runClient(queue.port, ["stats"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`${stats.workersNotShown} more workers not shown`);
  });

  it("refuses at submit a job whose encoding could not fit in one frame, not only an oversized payload", async () => {
    const queue = await startQueue(["--max-frame-bytes", "65536", "--max-payload-bytes", "1000000", "--max-result-bytes", "1024"]);
    const socket = await client(queue);
    const reply = await socket.request({ id: 1, type: "submit", jobs: [{ payload: "p".repeat(64_000) }] });
    expect(reply).toMatchObject({ id: 1, code: "payload-too-large", message: expect.stringContaining("jobs[0].payload is ") });
  });
});

describe("half-sent lines", () => {
  it("holds 40 slow senders' partial lines at under twice their size in resident memory", async () => {
    const queue = await startQueue();
    const senders = await Promise.all(Array.from({ length: 40 }, () => client(queue)));
    for (const sender of senders) sender.socket.setNoDelay(true);
    const piece = "x".repeat(32);
    const trickle = async (bytesEach: number) => {
      for (let sent = 0; sent < bytesEach; sent += piece.length) {
        for (const sender of senders) sender.write(piece);
        if (sent % 512 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => senders.every((s) => s.socket.writableLength === 0), "every byte written", 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    // The first bytes also grow the queue's young heap to its working size: measure after them.
    await trickle(64 * 1024);
    const before = rssBytes(queue.pid);
    const measuredEach = 384 * 1024;
    await trickle(measuredEach);
    const perByteHeld = (rssBytes(queue.pid) - before) / (measuredEach * senders.length);
    console.log(`partial lines: ${perByteHeld.toFixed(2)} bytes of RSS per byte held`);
    expect(perByteHeld).toBeLessThan(2);
    expect(queue.child.exitCode).toBeNull();
  }, 90_000);

  it("closes a connection that started a line after hello and did not finish it within the line timeout", async () => {
    const queue = await startQueue(["--line-timeout-ms", "300"]);
    const socket = await client(queue);
    socket.write('{"id":1,"type":"sta');
    expect(await socket.next(5_000)).toMatchObject({ type: "error", code: "line-timeout" });
    await socket.waitClosed();
  });
});

describe("one memory budget", () => {
  it("refuses a flood of large payloads as queue-full at the budget, with resident memory within the budget plus a stated overhead", async () => {
    const budget = 256 * MIB;
    const queue = await startQueue(["--max-memory-bytes", String(budget)]);
    const socket = await client(queue);
    const before = rssBytes(queue.pid);
    const jobs = Array.from({ length: 15 }, () => ({ payload: payload60k }));
    let refusal: Record<string, unknown> | undefined;
    for (let i = 0; i < 3 * Math.ceil(budget / (15 * 60_000)) && refusal === undefined; i += 1) {
      const reply = await socket.request({ id: i, type: "submit", jobs }, 20_000);
      if (reply.type === "error") refusal = reply;
    }
    expect(refusal).toMatchObject({ code: "queue-full", message: expect.stringContaining("memory") });
    const stats = (await socket.request({ id: "s", type: "stats" })) as { memory: { heldBytes: number; limitBytes: number } };
    expect(stats.memory.limitBytes).toBe(budget);
    expect(stats.memory.heldBytes).toBeLessThanOrEqual(budget);
    expect(stats.memory.heldBytes).toBeGreaterThan(budget - 15 * 61_000);
    // The overhead docs/security.md states: string payloads cost about 1.25 times their encoding,
    // plus up to 128 MiB for the young heap and the frames being parsed (Node 24's V8 keeps a
    // larger young heap: 1.54 times the budget there, 1.18-1.29 on Node 20 and 22).
    const grown = rssBytes(queue.pid) - before;
    console.log(`memory budget: RSS grew ${(grown / budget).toFixed(2)} times the budget`);
    expect(grown).toBeLessThan(1.25 * budget + 128 * MIB);
  }, 60_000);

  it("refuses a result above the result limit and leaves that job running under its lease", async () => {
    const queue = await startQueue(["--max-result-bytes", "1000"]);
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: [{}, {}] })) as { jobIds: number[] };
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "r" });
    const assign = (await worker.request({ id: 2, type: "fetch", max: 2 })) as { jobs: { jobId: number; lease: number }[] };
    const [first, second] = assign.jobs.map((j) => ({ jobId: j.jobId, lease: j.lease })) as [{ jobId: number; lease: number }, { jobId: number; lease: number }];
    const ack = await worker.request({ id: 3, type: "complete", jobs: [{ ...first, result: "r".repeat(2_000) }, { ...second, result: "ok" }] });
    expect(ack).toMatchObject({ refused: [{ jobId: first.jobId, code: "result-too-large", message: expect.stringContaining("limit is 1000") }] });
    expect(await submitter.request({ id: 4, type: "status", jobId: jobIds[1] })).toMatchObject({ job: { state: "completed", result: "ok" } });
    expect(await submitter.request({ id: 5, type: "status", jobId: jobIds[0] })).toMatchObject({ job: { state: "running", lease: first.lease } });
  });
});

describe("reports", () => {
  it("logs job.completed once for a job completed by a batch that names it twice", async () => {
    const queue = await startQueue();
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: [{}, {}] })) as { jobIds: number[] };
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "twice" });
    const assign = (await worker.request({ id: 2, type: "fetch", max: 2 })) as { jobs: { jobId: number; lease: number }[] };
    const [first, second] = assign.jobs as [{ jobId: number; lease: number }, { jobId: number; lease: number }];
    const ack = await worker.request({ id: 3, type: "complete", jobs: [{ jobId: first.jobId, lease: first.lease }, { jobId: first.jobId, lease: first.lease }] });
    expect((ack.refused as unknown[]).length).toBe(1);
    // A later completion is the sign that every log line of the batch before it was written.
    await worker.request({ id: 4, type: "complete", jobs: [{ jobId: second.jobId, lease: second.lease }] });
    await queue.waitForEvent("job.completed", { job: second.jobId });
    expect(queue.events("job.completed").filter((e) => e.job === jobIds[0])).toHaveLength(1);
  });
});
