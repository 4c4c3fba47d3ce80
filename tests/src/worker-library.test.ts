// Workers that run real code: worker programs written against the worker library
// (tests/fixtures/library-worker.mjs), run as real processes against the real queue. Each test
// submits jobs of one of its handlers' types and reads the outcome from the queue (`status`) and
// the worker's own JSON log lines on stderr.
import { fileURLToPath } from "node:url";
import { connectClient, type DjqClient, type JobView } from "@djq/client";
import { afterEach, describe, expect, it } from "vitest";
import { runClient, start, startQueue, startWorker, type Program, type QueueProcess } from "./harness/processes.js";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** Quick retries so a job that fails every attempt settles within the test. */
const fastRetries = ["--retry-base-ms", "20", "--retry-max-ms", "50"];

const clients: DjqClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function setup(queueArgs: string[] = []): Promise<{ queue: QueueProcess; client: DjqClient }> {
  const queue = await startQueue([...fastRetries, ...queueArgs]);
  const client = await connectClient({ port: queue.port });
  clients.push(client);
  return { queue, client };
}

/** The library worker program; resolves once the queue has welcomed it. */
async function libraryWorker(port: number, workerId: string, args: string[] = []): Promise<Program> {
  const worker = start(workerId, `${fixtures}library-worker.mjs`, ["--port", String(port), "--worker-id", workerId, ...args]);
  await worker.waitForEvent("welcome");
  return worker;
}

async function settle(client: DjqClient, jobId: number): Promise<JobView> {
  await client.waitFor(jobId);
  return client.status(jobId);
}

/** Polls `status` until `done` holds for the job (the queue's view, not the worker's). */
async function statusUntil(client: DjqClient, jobId: number, done: (job: JobView) => boolean, timeoutMs = 10_000): Promise<JobView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.status(jobId);
    if (done(job)) return job;
    if (Date.now() > until) throw new Error(`job ${jobId} never got there; last seen ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Heartbeats every 50 ms, lost after 600 ms of silence: a handler holding the loop is noticed fast. */
const quickLoss = ["--heartbeat-interval-ms", "50", "--heartbeat-timeout-ms", "600"];

describe("a job whose type a worker has no handler for", () => {
  it("is handed back unrun, passed over by that worker's later fetches, and run by a worker that has the handler", async () => {
    const { queue, client } = await setup();
    const sleeper = await startWorker(queue.port, ["--worker-id", "sleeper"]);
    await sleeper.waitForEvent("welcome");
    const [echoId] = await client.submit({ type: "echo", payload: { to: "a@example.com" } }, { watch: true });
    await sleeper.waitForEvent("type.skipped", { type: "echo" });
    await statusUntil(client, echoId!, (job) => job.state === "pending");
    // The sleeper still takes what it can run, although the echo job is ahead in the line.
    const [sleepId] = await client.submit({ durationMs: 10 }, { watch: true });
    expect(await settle(client, sleepId!)).toMatchObject({ state: "completed" });
    expect(sleeper.events("job.unhandled")).toHaveLength(1);
    expect(await client.status(echoId!)).toMatchObject({ state: "pending" });
    await libraryWorker(queue.port, "lib-1");
    const echo = await settle(client, echoId!);
    expect(echo.state).toBe("completed");
    expect(echo.result).toMatchObject({ workerId: "lib-1" });
  });
});

describe("a worker built with the library", () => {
  it("fails a job for good, with the queue's reason, when its result is larger than the queue keeps", async () => {
    const { queue, client } = await setup(["--max-result-bytes", "1000"]);
    await libraryWorker(queue.port, "lib-big-result");
    const [jobId] = await client.submit({ type: "echo", payload: { text: "t".repeat(2_000) } }, { watch: true });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "failed", attempts: 1, error: expect.stringContaining("the limit is 1000") });
  });

  it("completes a job with the result its handler returns", async () => {
    const { queue, client } = await setup();
    await libraryWorker(queue.port, "lib-1");
    const [jobId] = await client.submit({ type: "echo", payload: { to: "a@example.com" } }, { watch: true });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "completed", attempts: 1 });
    expect(job.result).toEqual({ echoed: { to: "a@example.com" }, attempt: 1, lease: job.history[0]!.lease, workerId: "lib-1" });
  });

  it("retries a handler that throws, then fails the job when its attempts run out", async () => {
    const { queue, client } = await setup();
    const worker = await libraryWorker(queue.port, "lib-1");
    const [jobId] = await client.submit({ type: "flaky", maxAttempts: 3 }, { watch: true });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "failed", attempts: 3, error: "flaky attempt 3 of 3" });
    expect(job.history.map((a) => [a.attempt, a.outcome, a.error])).toEqual([
      [1, "failed", "flaky attempt 1 of 3"],
      [2, "failed", "flaky attempt 2 of 3"],
      [3, "failed", "flaky attempt 3 of 3"],
    ]);
    expect(worker.events("job.failed").map((e) => e.permanent)).toEqual([false, false, false]);
  });

  it("fails a job at once, with no retry, when its handler throws PermanentJobError", async () => {
    const { queue, client } = await setup();
    await libraryWorker(queue.port, "lib-1");
    const [jobId] = await client.submit({ type: "doomed", maxAttempts: 5 }, { watch: true });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "failed", attempts: 1, maxAttempts: 5, error: "card declined" });
    expect(job.history).toHaveLength(1);
  });

  it("checks a payload against the job type's zod schema before the handler runs", async () => {
    const { queue, client } = await setup();
    const worker = await libraryWorker(queue.port, "lib-1");
    const [good, bad] = await client.submit(
      [
        { type: "resize", payload: { width: 3, height: 4 } },
        { type: "resize", payload: { width: "wide", height: 4 }, maxAttempts: 5 },
      ],
      { watch: true },
    );
    // The handler sees the schema's output: `format` was filled in by its default.
    expect(await settle(client, good!)).toMatchObject({ state: "completed", result: { area: 12, format: "png" } });
    const refused = await settle(client, bad!);
    expect(refused).toMatchObject({ state: "failed", attempts: 1 });
    expect(refused.error).toMatch(/^payload does not match the schema of resize: width: .*expected number/);
    expect(worker.events("resize.ran").map((e) => e.jobId)).toEqual([good]);
  });

  it("fires the handler's ctx.signal when a client cancels the running job, and takes the next job", async () => {
    const { queue, client } = await setup();
    const worker = await libraryWorker(queue.port, "lib-1");
    const [slow] = await client.submit({ type: "slow", durationMs: 60_000 }, { watch: true });
    await worker.waitForEvent("job.started", { jobId: slow });
    await client.cancel(slow!);
    expect(await worker.waitForEvent("handler.aborted", { jobId: slow })).toMatchObject({ reason: "cancelled" });
    expect(await settle(client, slow!)).toMatchObject({ state: "cancelled", history: [{ outcome: "cancelled" }] });
    // The aborted attempt reports nothing, and its slot is free again (concurrency 1).
    const [next] = await client.submit({ type: "echo" }, { watch: true });
    expect(await settle(client, next!)).toMatchObject({ state: "completed" });
    expect(worker.events("job.completed").map((e) => e.jobId)).toEqual([next]);
  });

  it("fires the handler's ctx.signal when the queue revokes the lease after the job's run timeout", async () => {
    const { queue, client } = await setup();
    const worker = await libraryWorker(queue.port, "lib-1", ["--stuck-loop-kill-ms", "200"]);
    await queue.waitForEvent("worker.liveness-bound", { worker: "lib-1" });
    const [jobId] = await client.submit({ type: "slow", durationMs: 60_000, timeoutMs: 300, maxAttempts: 1 }, { watch: true });
    expect(await worker.waitForEvent("handler.aborted", { jobId })).toMatchObject({ reason: "timed-out" });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "failed", attempts: 1, history: [{ outcome: "timed-out" }] });
    expect(job.error).toContain("timed out after 300 ms");
    // Its main loop was free: the liveness thread, which would kill a stuck process, leaves this one be.
    await worker.waitForEvent("liveness.loop-turned", { jobId });
    expect(worker.events("liveness.killing-stuck-process")).toEqual([]);
    expect(worker.child.exitCode).toBeNull();
  });

  it("keeps heartbeating through CPU-bound work that yields between slices", async () => {
    const { queue, client } = await setup(quickLoss);
    await libraryWorker(queue.port, "lib-1");
    const [jobId] = await client.submit({ type: "crunch", durationMs: 2_000 }, { watch: true });
    const job = await settle(client, jobId!);
    expect(job).toMatchObject({ state: "completed", attempts: 1, history: [{ outcome: "completed", workerId: "lib-1" }] });
    expect((job.result as { iterations: number }).iterations).toBeGreaterThan(0);
    expect(queue.events("worker.lost")).toEqual([]);
  });

  it("keeps a worker whose handler never yields alive: the job completes there, once, and its report is accepted", async () => {
    const { queue, client } = await setup(quickLoss);
    const blocked = await libraryWorker(queue.port, "lib-blocked");
    await libraryWorker(queue.port, "lib-other");
    await queue.waitForEvent("worker.liveness-bound", { worker: "lib-blocked" });
    // Both have a fetch waiting; the older one, lib-blocked's, is served first.
    const [jobId] = await client.submit({ type: "block", durationMs: 2_500 }, { watch: true });
    await blocked.waitForEvent("job.started", { jobId });
    const job = await settle(client, jobId!);
    expect(job.history.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([[1, "lib-blocked", "completed"]]);
    expect(job).toMatchObject({ state: "completed", result: { attempt: 1, workerId: "lib-blocked" } });
    // 2.5 s without a turn of its main loop, under a 600 ms heartbeat timeout: its liveness thread kept beating.
    expect(queue.events("worker.lost")).toEqual([]);
    expect(await blocked.waitForEvent("heard.completed", { jobId })).toMatchObject({ lease: job.history[0]!.lease });
    expect(queue.events("report.refused")).toEqual([]);
    expect((await client.stats()).totals.reassigned).toBe(0);
  });

  it("runs up to its concurrency of jobs at the same time", async () => {
    const { queue, client } = await setup();
    await libraryWorker(queue.port, "lib-1", ["--concurrency", "4"]);
    const jobIds = await client.submit(Array.from({ length: 4 }, () => ({ type: "slow", durationMs: 600 })), { watch: true });
    const results = [...(await client.waitFor(jobIds)).values()].map((job) => job.result as { startedAt: number; endedAt: number });
    expect(results).toHaveLength(4);
    // Every job started before any of them ended: all four ran at once.
    expect(Math.max(...results.map((r) => r.startedAt))).toBeLessThan(Math.min(...results.map((r) => r.endedAt)));
  });

  it("shows ctx.progress in the job's status while it runs", async () => {
    const { queue, client } = await setup();
    await libraryWorker(queue.port, "lib-1");
    const [jobId] = await client.submit({ type: "report", durationMs: 3_000, payload: { everyMs: 100 } }, { watch: true });
    const running = await statusUntil(client, jobId!, (job) => job.state === "running" && (job.progress?.percent ?? 0) >= 20);
    expect(running.progress).toMatchObject({ percent: expect.any(Number), message: expect.stringMatching(/^step at \d+ ms$/) });
    expect(running.progress!.percent).toBeLessThan(100);
    const done = await settle(client, jobId!);
    expect(done).toMatchObject({ state: "completed" });
    expect(done.progress).toBeUndefined();
  });

  it("shows ctx.progress in submit --wait as the queue pushes it", async () => {
    const { queue } = await setup();
    await libraryWorker(queue.port, "lib-1");
    const run = await runClient(queue.port, ["submit", "--type", "report", "--duration", "2500", "--payload", '{"everyMs":100}', "--wait"]);
    expect(run.code).toBe(0);
    // Not a TTY: one line a second, with the job's latest progress while it runs.
    expect(run.stdout).toMatch(/^progress 0\/1 done, 0 failed, [\d.]+ jobs\/s, eta \?, job 1 \d+% step at \d+ ms$/m);
    expect(run.stdout).toContain("job 1 completed");
  });

  it("keeps the lease of a job that reports progress more often than its run timeout", async () => {
    const { queue, client } = await setup();
    await libraryWorker(queue.port, "lib-1");
    // 2 s of work under a 400 ms timeout: only the progress reports (every 100 ms) keep it alive.
    const [kept, revoked] = await client.submit(
      [
        { type: "report", durationMs: 2_000, timeoutMs: 400, maxAttempts: 1, payload: { everyMs: 100 } },
        { type: "slow", durationMs: 2_000, timeoutMs: 400, maxAttempts: 1 },
      ],
      { watch: true },
    );
    expect(await settle(client, kept!)).toMatchObject({ state: "completed", attempts: 1, history: [{ outcome: "completed" }] });
    // The same work without reports is taken back at its timeout.
    expect(await settle(client, revoked!)).toMatchObject({ state: "failed", history: [{ outcome: "timed-out" }] });
  });

  it("on SIGTERM takes no new jobs, reports what finishes within the grace, and releases the rest", async () => {
    const { queue, client } = await setup();
    const first = await libraryWorker(queue.port, "lib-first", ["--concurrency", "3", "--grace-ms", "1500"]);
    const [quick, long1, long2] = await client.submit(
      [
        { type: "slow", durationMs: 600 },
        { type: "slow", durationMs: 3_000 },
        { type: "slow", durationMs: 3_000 },
      ],
      { watch: true },
    );
    for (const jobId of [quick, long1, long2]) await first.waitForEvent("job.started", { jobId });
    first.kill("SIGTERM");
    await first.waitForEvent("stopping");
    const [late] = await client.submit({ type: "echo" }, { watch: true });

    expect(await first.exited).toEqual({ code: 0, signal: null });
    // The long handlers were signalled when the grace ran out, and their jobs handed back.
    for (const jobId of [long1, long2]) {
      expect((await first.waitForEvent("handler.aborted", { jobId })).reason).toContain("grace ran out");
      expect(await client.status(jobId!)).toMatchObject({ state: "pending", attempts: 0, history: [{ outcome: "released", workerId: "lib-first" }] });
    }
    expect(first.events("job.started").map((e) => e.jobId)).not.toContain(late);
    expect(await client.status(quick!)).toMatchObject({ state: "completed", history: [{ outcome: "completed", workerId: "lib-first" }] });

    await libraryWorker(queue.port, "lib-second", ["--concurrency", "3"]);
    for (const jobId of [long1, long2]) {
      const job = await settle(client, jobId!);
      expect(job).toMatchObject({ state: "completed", attempts: 1, result: { workerId: "lib-second" } });
      expect(job.history.map((a) => [a.workerId, a.outcome])).toEqual([
        ["lib-first", "released"],
        ["lib-second", "completed"],
      ]);
    }
    expect(await settle(client, late!)).toMatchObject({ state: "completed", result: { workerId: "lib-second" } });
  });
});

describe("a typed client program", () => {
  it("enqueues a registered job type with a checked payload, and refuses a bad one before sending it", async () => {
    const { queue } = await setup();
    await libraryWorker(queue.port, "lib-1");
    const program = start("typed-client", `${fixtures}typed-client.mjs`, ["--port", String(queue.port)]);
    expect(await program.exited).toEqual({ code: 0, signal: null });
    const out = JSON.parse(program.stdout) as {
      jobId: number;
      settled: unknown;
      job: JobView;
      refused: { name: string; isPayloadValidationError: boolean; message: string };
      submitted: { completed: number; pending: number };
    };
    expect(out.settled).toEqual({ jobId: out.jobId, state: "completed", result: { area: 12, format: "png" } });
    // The client parsed the payload with the shared schema, so the default travelled with it.
    expect(out.job).toMatchObject({ type: "resize", priority: 7, payload: { width: 3, height: 4, format: "png" } });
    expect(out.refused).toMatchObject({ name: "PayloadValidationError", isPayloadValidationError: true });
    expect(out.refused.message).toContain('payload for job type "resize" is not valid');
    // Only the good job ever reached the queue.
    expect(out.submitted).toMatchObject({ completed: 1, pending: 0 });
  });
});

describe("a worker whose handler holds the event loop (default heartbeats: 200 ms, lost after 800 ms)", () => {
  it("completes a 5 s synchronous job exactly once, while a SIGSTOPped worker beside it is still found within 1 s", async () => {
    const { queue, client } = await setup();
    // Fetches are served oldest first: lib-busy takes the first job, lib-frozen the second.
    const busy = await libraryWorker(queue.port, "lib-busy");
    const frozen = await libraryWorker(queue.port, "lib-frozen");
    await libraryWorker(queue.port, "lib-spare");
    for (const worker of ["lib-busy", "lib-frozen", "lib-spare"]) await queue.waitForEvent("worker.liveness-bound", { worker });
    const [blockJob] = await client.submit({ type: "block", durationMs: 5_000 }, { watch: true });
    await busy.waitForEvent("job.started", { jobId: blockJob });
    const [slowJob] = await client.submit({ type: "slow", durationMs: 2_000 }, { watch: true });
    await frozen.waitForEvent("job.started", { jobId: slowJob });
    const stoppedAt = Date.now();
    frozen.kill("SIGSTOP");
    const lost = await queue.waitForEvent("worker.lost", { worker: "lib-frozen" });
    const detectedMs = Date.parse(lost.at as string) - stoppedAt;
    expect(detectedMs).toBeLessThan(1_100);
    expect(await settle(client, slowJob!)).toMatchObject({ state: "completed", history: [{ workerId: "lib-frozen", outcome: "worker-lost" }, { workerId: "lib-spare", outcome: "completed" }] });
    const job = await settle(client, blockJob!);
    expect(job).toMatchObject({ state: "completed", attempts: 1, result: { attempt: 1, workerId: "lib-busy" } });
    // The frozen worker was found while the busy one was still inside its 5 s block.
    expect(Date.parse(lost.at as string)).toBeLessThan(job.history[0]!.endedAt!);
    expect(job.history.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([[1, "lib-busy", "completed"]]);
    expect(await busy.waitForEvent("heard.completed", { jobId: blockJob })).toMatchObject({ lease: job.history[0]!.lease });
    expect(busy.events("job.started").map((e) => e.jobId)).toEqual([blockJob]);
    expect(queue.events("worker.lost").map((e) => e.worker)).toEqual(["lib-frozen"]);
    expect(queue.events("report.refused")).toEqual([]);
    expect(busy.events("disconnected")).toEqual([]);
    frozen.kill("SIGKILL");
  });

  it("takes an endless synchronous loop's job back at its run timeout, completes it elsewhere once, and kills the stuck process", async () => {
    const { queue, client } = await setup();
    const stuck = await libraryWorker(queue.port, "lib-stuck", ["--stuck-loop-kill-ms", "1000"]);
    await queue.waitForEvent("worker.liveness-bound", { worker: "lib-stuck" });
    const [jobId] = await client.submit({ type: "spin-forever", timeoutMs: 2_000 }, { watch: true });
    await stuck.waitForEvent("job.started", { jobId });
    await libraryWorker(queue.port, "lib-other");

    const job = await settle(client, jobId!);
    expect(job.history.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([
      [1, "lib-stuck", "timed-out"],
      [2, "lib-other", "completed"],
    ]);
    expect(job).toMatchObject({ state: "completed", result: { attempt: 2, workerId: "lib-other" } });
    // Ended by the run timeout on the queue's clock, not by a lost heartbeat.
    const first = job.history[0]!;
    expect(first.endedAt! - first.startedAt).toBeGreaterThanOrEqual(2_000);
    expect(first.endedAt! - first.startedAt).toBeLessThan(2_500);
    expect(queue.events("worker.lost")).toEqual([]);

    // Its liveness thread sees the main loop still blocked a second after the abandon, and ends the process.
    expect(await stuck.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(stuck.events("liveness.killing-stuck-process")).toMatchObject([{ jobId, reason: "timed-out" }]);
    expect(await queue.waitForEvent("worker.disconnected", { worker: "lib-stuck" })).toBeDefined();
    expect((await client.status(jobId!)).history).toHaveLength(2);
  });
});
