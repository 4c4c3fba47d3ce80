// What an operator sees from the CLI tells the truth: a listing pages on while jobs move, a
// queue name is not made up by a typo, a reused key with another body is refused, and a worker
// that stops cleanly is not reported as a failure.
import type { JobView, StatsReply } from "@djq/protocol";
import { describe, expect, it } from "vitest";
import { cliJson, submitJobs } from "./harness/client-cli.js";
import { runClient, startQueue, startWorker } from "./harness/processes.js";
import { until } from "./harness/waiting.js";

type Page = { jobs: JobView[]; next?: number };
const listed = (page: Page) => page.jobs.map((job) => job.jobId);
const calmQueue = ["--heartbeat-interval-ms", "500", "--heartbeat-timeout-ms", "20000"];

describe("djq list", () => {
  it("pages on from where it was when the job shown last was cancelled and others started between pages", async () => {
    const queue = await startQueue(calmQueue);
    const jobIds = await submitJobs(queue.port, ["--count", "6", "--duration", "600000"]);
    const first = await cliJson<Page>(queue.port, ["list", "--state", "pending", "--limit", "2"]);
    expect(listed(first)).toEqual(jobIds.slice(0, 2));
    expect(first.next).toBeDefined();

    // The job the cursor was taken at leaves pending, and a worker starts two of the others.
    await cliJson(queue.port, ["cancel", String(jobIds[1])]);
    const worker = await startWorker(queue.port, ["--worker-id", "w-1", "--concurrency", "2"]);
    await worker.waitForEvent("job.started", { jobId: jobIds[0] });
    await worker.waitForEvent("job.started", { jobId: jobIds[2] });

    const second = await cliJson<Page>(queue.port, ["list", "--state", "pending", "--limit", "2", "--after", String(first.next)]);
    expect(listed(second)).toEqual(jobIds.slice(3, 5));
    const third = await cliJson<Page>(queue.port, ["list", "--state", "pending", "--limit", "2", "--after", String(second.next)]);
    expect(listed(third)).toEqual([jobIds[5]]);
    expect(third.next).toBeUndefined();
  });

  it("lists settled jobs in the order they settled, oldest first", async () => {
    const queue = await startQueue();
    const jobIds = await submitJobs(queue.port, ["--count", "4", "--delay", "600000"]);
    for (const jobId of [jobIds[2], jobIds[0], jobIds[3], jobIds[1]]) await cliJson(queue.port, ["cancel", String(jobId)]);
    const cancelled = await cliJson<Page>(queue.port, ["list", "--state", "cancelled"]);
    expect(listed(cancelled)).toEqual([jobIds[2], jobIds[0], jobIds[3], jobIds[1]]);
  });

  it("refuses a cursor past the end of the listing instead of printing an empty page", async () => {
    const queue = await startQueue();
    await submitJobs(queue.port, ["--count", "4", "--delay", "600000"]);
    const run = await runClient(queue.port, ["list", "--state", "delayed", "--after", "999"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("bad-cursor");
    expect(run.stdout).not.toContain("no delayed jobs");
  });
});

describe("djq submit --key", () => {
  it("refuses a key reused with a different request, naming the key, and answers the same request with the first ids", async () => {
    const queue = await startQueue();
    const first = await submitJobs(queue.port, ["--count", "2", "--delay", "600000", "--key", "order-42"]);
    const conflict = await runClient(queue.port, ["submit", "--count", "3", "--delay", "600000", "--key", "order-42"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("key-conflict");
    expect(conflict.stderr).toContain("order-42");
    expect(await submitJobs(queue.port, ["--count", "2", "--delay", "600000", "--key", "order-42"])).toEqual(first);
    const stats = await cliJson<{ totals: { submitted: number } }>(queue.port, ["stats"]);
    expect(stats.totals.submitted).toBe(2);
  });
});

describe("a worker that stops cleanly", () => {
  it("leaves (worker.left in the log) and is not reported among the failures in stats.recent", async () => {
    const queue = await startQueue(calmQueue);
    const worker = await startWorker(queue.port, ["--worker-id", "w-clean"]);
    await worker.waitForEvent("welcome");
    await until(async () => (await cliJson<StatsReply>(queue.port, ["stats"])).workers.some((w) => w.workerId === "w-clean" && w.waiting), "the worker to wait for work");
    worker.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
    await queue.waitForEvent("worker.left", { worker: "w-clean" });
    const stats = await cliJson<StatsReply>(queue.port, ["stats"]);
    expect(stats.workers).toEqual([]);
    expect(stats.recent).toEqual([]);
    expect(queue.events("worker.disconnected")).toEqual([]);
  });
});

describe("queue names", () => {
  it("refuses to pause a queue that does not exist unless --create, and a typo leaves no phantom queue in stats", async () => {
    const queue = await startQueue();
    const typo = await runClient(queue.port, ["pause", "nosuchqueue"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown-queue");
    expect((await runClient(queue.port, ["resume", "nosuchqueue"])).stderr).toContain("unknown-queue");
    expect((await cliJson<StatsReply>(queue.port, ["stats"])).queues).toEqual({});

    await cliJson(queue.port, ["pause", "night", "--create"]);
    expect((await cliJson<StatsReply>(queue.port, ["stats"])).queues).toMatchObject({ night: { paused: true } });
    await cliJson(queue.port, ["resume", "night"]);
    expect((await cliJson<StatsReply>(queue.port, ["stats"])).queues).toEqual({});
  });

  it("limits the queue names in use with --max-queues and forgets a queue once nothing is in it", async () => {
    const queue = await startQueue(["--max-queues", "2", "--retention-jobs", "0"]);
    const [inA] = await submitJobs(queue.port, ["--queue", "a", "--delay", "600000"]);
    await submitJobs(queue.port, ["--queue", "b", "--delay", "600000"]);
    const full = await runClient(queue.port, ["submit", "--queue", "c"]);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain("queue-full");
    await cliJson(queue.port, ["cancel", String(inA)]);
    await submitJobs(queue.port, ["--queue", "c", "--delay", "600000"]);
    expect(Object.keys((await cliJson<StatsReply>(queue.port, ["stats"])).queues).sort()).toEqual(["b", "c"]);
  });
});
