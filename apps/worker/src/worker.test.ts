// The worker against a scripted fake queue over a real socket: each test is the wire transcript
// of one behaviour, what the worker sends and what the "queue" answers.
import { maxReportsPerMessage, PROTOCOL_VERSION } from "@djq/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { PermanentJobError } from "./permanent-job-error.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { FakeQueue, assignment } from "@djq/runtime/testing";
import { createWorker, type Worker } from "./worker.js";
import type { JobTypeSchemas, WorkerOptions } from "./worker-options.js";

let queue: FakeQueue;
let workers: Worker[];

beforeEach(async () => {
  queue = await FakeQueue.start({ scriptHello: true });
  workers = [];
});

afterEach(async () => {
  // The fake goes first, so no worker waits for answers it will never get.
  await queue.stop();
  await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
});

function startWorker<const T extends JobTypeSchemas = JobTypeSchemas>(options: Partial<WorkerOptions<T>> = {}) {
  const logger = captureLogger();
  const worker = createWorker<T>({
    host: "127.0.0.1",
    port: queue.port,
    workerId: "w-1",
    logger,
    reconnect: { initialMs: 10, maxMs: 40 },
    ...options,
  });
  workers.push(worker);
  return { worker, logger, started: worker.start() };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("a session", () => {
  it("says hello as a worker with its id, queues and secret, holding nothing", async () => {
    const { started } = startWorker({ queues: ["emails", "images"], secret: "s3cret" });
    const { hello } = await queue.nextSession();
    expect(hello).toEqual({
      id: hello.id,
      type: "hello",
      role: "worker",
      version: PROTOCOL_VERSION,
      workerId: "w-1",
      queues: ["emails", "images"],
      secret: "s3cret",
      holding: [],
    });
    await started;
  });

  it("gives up at start when the queue refuses the hello", async () => {
    const { started } = startWorker({ secret: "wrong" });
    const connection = await queue.nextConnection();
    const hello = await connection.expect("hello");
    connection.reply(hello, { type: "error", code: "auth-failed", message: "wrong secret" });
    await expect(started).rejects.toThrow("wrong secret");
  });

  it("keeps trying when the queue turns the first hello away for a passing reason", async () => {
    const { started, logger } = startWorker();
    const busy = await queue.nextConnection();
    busy.reply(await busy.expect("hello"), { type: "error", code: "too-many-connections", message: "full" });
    await queue.nextSession();
    await started;
    expect(logger.events()).toEqual(expect.arrayContaining(["hello.refused", "reconnecting", "welcome"]));
  });

  it("sends heartbeats at the interval the welcome names", async () => {
    startWorker();
    const { connection } = await queue.nextSession({ heartbeatIntervalMs: 20 });
    await connection.heartbeatsFromNow(3);
    expect(connection.heartbeats).toBeGreaterThanOrEqual(3);
  });
});

describe("fetching", () => {
  it("asks for as many jobs as its concurrency, then for the slots still free", async () => {
    const gate = deferred();
    startWorker({ concurrency: 3, handlers: { wait: () => gate.promise } });
    const { connection } = await queue.nextSession();
    const first = await connection.expect("fetch");
    expect(first.max).toBe(3);
    connection.assign(first, [assignment(1, { type: "wait" })]);
    expect((await connection.expect("fetch")).max).toBe(2);
    gate.resolve();
  });

  it("asks for the slots a job that finished at once frees in the same write as its complete, not before it", async () => {
    startWorker({ concurrency: 50, handlers: { instant: (job) => job.id } });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "instant" })]);
    const complete = await connection.expect("complete");
    expect(complete.jobs).toEqual([{ jobId: 1, lease: 10, result: 1 }]);
    expect((await connection.expect("fetch")).max).toBe(50);
    expect(connection.chunksWith(["complete", "fetch"])).toBe(1);
  });

  it("releases at once jobs beyond its free slots", async () => {
    const gate = deferred();
    startWorker({ concurrency: 1, handlers: { wait: () => gate.promise } });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "wait" }), assignment(2, { type: "wait" })]);
    expect((await connection.expect("release")).jobs).toEqual([{ jobId: 2, lease: 20 }]);
    gate.resolve();
  });
});

describe("reporting", () => {
  it("reports jobs that finish in the same tick as one complete message, then fetches again", async () => {
    startWorker({ concurrency: 5, jobTypes: { double: z.number() }, handlers: { double: async (job) => ({ twice: job.payload * 2 }) } });
    const { connection } = await queue.nextSession();
    const fetch = await connection.expect("fetch");
    connection.assign(fetch, [1, 2, 3, 4, 5].map((id) => assignment(id, { type: "double", payload: id })));
    const complete = await connection.expect("complete");
    expect(complete.jobs).toEqual([1, 2, 3, 4, 5].map((id) => ({ jobId: id, lease: id * 10, result: { twice: id * 2 } })));
    connection.ack(complete);
    expect((await connection.expect("fetch")).max).toBe(5);
  });

  it("with concurrency 50, reports 50 jobs that finish together in one complete message", async () => {
    const gate = deferred();
    const { logger } = startWorker({ concurrency: 50, handlers: { gated: (job, ctx) => gate.promise.then(() => `${ctx.workerId}:${job.id}`) } });
    const { connection } = await queue.nextSession();
    const fetch = await connection.expect("fetch");
    expect(fetch.max).toBe(50);
    connection.assign(fetch, Array.from({ length: 50 }, (_, i) => assignment(i + 1, { type: "gated" })));
    await logger.waitFor("job.started", (fields) => fields.jobId === 50);
    gate.resolve();
    const complete = await connection.expect("complete");
    expect(complete.jobs).toHaveLength(50);
    expect(complete.jobs[49]).toEqual({ jobId: 50, lease: 500, result: "w-1:50" });
    connection.ack(complete);
    expect((await connection.expect("fetch")).max).toBe(50);
  });

  it("sends reports made while waiting for an ack together in the next message", async () => {
    // Job 1 ends at once; the other 49 only once its report is on the wire, so they end while it waits for its ack.
    const firstSent = deferred();
    const { logger } = startWorker({
      concurrency: 50,
      workerId: "w-50",
      handlers: {
        gated: async (job, ctx) => {
          if (job.id !== 1) await firstSent.promise;
          return { workerId: ctx.workerId };
        },
      },
    });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), Array.from({ length: 50 }, (_, i) => assignment(i + 1, { type: "gated" })));
    const first = await connection.expect("complete");
    firstSent.resolve();
    for (let jobId = 2; jobId <= 50; jobId += 1) await logger.waitFor("job.completed", (fields) => fields.jobId === jobId);
    connection.ack(first);
    const second = await connection.expect("complete", { skip: ["fetch"] });
    expect(first.jobs.length + second.jobs.length).toBe(50);
    expect(second.jobs[0]?.result).toMatchObject({ workerId: "w-50" });
  });

  it("splits a batch that would not fit in one frame into several complete messages", async () => {
    startWorker({ concurrency: 5, handlers: { big: () => "z".repeat(100) } });
    const { connection } = await queue.nextSession({ maxFrameBytes: 400 });
    connection.assign(await connection.expect("fetch"), [1, 2, 3, 4, 5].map((id) => assignment(id, { type: "big" })));
    const jobIds: number[] = [];
    while (jobIds.length < 5) {
      const complete = await connection.expect("complete");
      expect(JSON.stringify(complete).length).toBeLessThanOrEqual(400);
      jobIds.push(...complete.jobs.map((job) => job.jobId));
      connection.ack(complete);
    }
    expect(jobIds.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("names no more reports in one message than the queue's ack could refuse in one frame", async () => {
    startWorker({ concurrency: 20, handlers: { small: () => "ok" } });
    const { connection } = await queue.nextSession({ maxFrameBytes: 1000 });
    const limit = maxReportsPerMessage(1000);
    connection.assign(await connection.expect("fetch"), Array.from({ length: 20 }, (_, i) => assignment(i + 1, { type: "small" })));
    const jobIds: number[] = [];
    while (jobIds.length < 20) {
      const complete = await connection.expect("complete", { skip: ["fetch"] });
      expect(complete.jobs.length).toBeLessThanOrEqual(limit);
      jobIds.push(...complete.jobs.map((job) => job.jobId));
      connection.ack(complete);
    }
    expect(limit).toBeLessThan(20);
    expect(jobIds.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  async function reportOf(options: Partial<WorkerOptions>, job: ReturnType<typeof assignment>) {
    startWorker(options);
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [job]);
    return connection.expect("fail");
  }

  it("fails the attempt with the error's message when the handler throws", async () => {
    const fail = await reportOf({ handlers: { boom: () => Promise.reject(new Error("disk full")) } }, assignment(1, { type: "boom" }));
    expect(fail.jobs).toEqual([{ jobId: 1, lease: 10, error: "disk full" }]);
  });

  it("fails the job permanently when the handler throws a PermanentJobError", async () => {
    const handlers = { bad: () => Promise.reject(new PermanentJobError("no such customer")) };
    const fail = await reportOf({ handlers }, assignment(1, { type: "bad" }));
    expect(fail.jobs).toEqual([{ jobId: 1, lease: 10, error: "no such customer", permanent: true }]);
  });

  it("releases a job whose type it has no handler for, asking first that its fetches skip that type, and runs the rest", async () => {
    const { logger } = startWorker({ concurrency: 2, handlers: { known: () => "ok" } });
    const { connection } = await queue.nextSession();
    const first = await connection.expect("fetch");
    expect(first.skipTypes).toBeUndefined();
    connection.assign(first, [assignment(1, { type: "mystery" }), assignment(2, { type: "known" })]);
    const refetch = await connection.expect("fetch");
    expect(refetch.skipTypes).toEqual(["mystery"]);
    expect((await connection.expect("release")).jobs).toEqual([{ jobId: 1, lease: 10 }]);
    expect((await connection.expect("complete", { skip: ["fetch"] })).jobs).toEqual([{ jobId: 2, lease: 20, result: "ok" }]);
    expect(logger.entries.find((e) => e.event === "job.unhandled")?.fields).toMatchObject({ jobId: 1, type: "mystery" });
  });

  it("fails a job permanently, without running the handler, when its payload does not match its type's schema", async () => {
    let ran = false;
    const fail = await reportOf(
      { handlers: { email: () => void (ran = true) }, jobTypes: { email: z.object({ to: z.string() }) } },
      assignment(1, { type: "email", payload: { to: 42 } }),
    );
    expect(fail.jobs).toEqual([
      {
        jobId: 1,
        lease: 10,
        error: "payload does not match the schema of email: to: Invalid input: expected string, received number",
        permanent: true,
      },
    ]);
    expect(ran).toBe(false);
  });

  it("sends progress for the job's lease, and aborts the job when the queue says the lease is stale", async () => {
    const aborted = deferred<unknown>();
    startWorker({
      handlers: {
        slow: async (_job, ctx) => {
          ctx.signal.addEventListener("abort", () => aborted.resolve(ctx.signal.reason));
          await ctx.progress(40, "halfway-ish");
          await new Promise(() => {});
        },
      },
    });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "slow" })]);
    const progress = await connection.expect("progress");
    expect(progress).toMatchObject({ jobId: 1, lease: 10, percent: 40, message: "halfway-ish" });
    connection.reply(progress, { type: "error", code: "stale-lease", message: "lease 10 is not current" });
    expect(String(await aborted.promise)).toContain("lease 10 is not current");
    expect((await connection.expect("fetch")).max).toBe(1);
  });
});

describe("abandon", () => {
  it("aborts the handler's signal, frees its slot and does not report it", async () => {
    const aborted = deferred<unknown>();
    const { logger } = startWorker({
      handlers: {
        stuck: (_job, ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => {
              aborted.resolve(ctx.signal.reason);
              reject(ctx.signal.reason);
            }),
          ),
      },
    });
    const { connection } = await queue.nextSession({ heartbeatIntervalMs: 20 });
    connection.assign(await connection.expect("fetch"), [assignment(7, { type: "stuck" })]);
    await logger.waitFor("job.started");
    connection.send({ type: "abandon", jobId: 7, lease: 70, reason: "timed-out" });
    expect(String(await aborted.promise)).toContain("timed-out");
    expect((await connection.expect("fetch")).max).toBe(1);
    await connection.nothingBeforeTwoHeartbeats();
    expect(logger.entries.find((e) => e.event === "job.abandoned")?.fields).toMatchObject({ jobId: 7, lease: 70, reason: "timed-out" });
  });
});

describe("a handler's context", () => {
  it("hands a handler that first reads its signal after an abandon a signal aborted with the reason", async () => {
    const gate = deferred();
    const seen = deferred<{ aborted: boolean; reason: unknown }>();
    const { logger } = startWorker({
      handlers: {
        late: async (_job, ctx) => {
          await gate.promise;
          seen.resolve({ aborted: ctx.signal.aborted, reason: ctx.signal.reason });
        },
      },
    });
    const { connection } = await queue.nextSession({ heartbeatIntervalMs: 20 });
    connection.assign(await connection.expect("fetch"), [assignment(8, { type: "late" })]);
    await logger.waitFor("job.started");
    connection.send({ type: "abandon", jobId: 8, lease: 80, reason: "cancelled" });
    await logger.waitFor("job.abandoned");
    gate.resolve();
    const { aborted, reason } = await seen.promise;
    expect(aborted).toBe(true);
    expect(String(reason)).toContain("cancelled");
    expect((await connection.expect("fetch")).max).toBe(1);
    await connection.nothingBeforeTwoHeartbeats();
  });

  it("is a plain object: spread, it keeps its signal, logger, progress and extend", async () => {
    const copied = deferred<Record<string, unknown>>();
    startWorker({ handlers: { spread: (_job, ctx) => void copied.resolve({ ...ctx }) } });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(4, { type: "spread" })]);
    const ctx = await copied.promise;
    expect(Object.keys(ctx)).toEqual(["signal", "workerId", "logger", "progress", "extend"]);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.workerId).toBe("w-1");
  });

  it("runs and reports two attempts a queue gave the same lease number", async () => {
    startWorker({ concurrency: 2 });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { lease: 5 }), assignment(2, { lease: 5 })]);
    const complete = await connection.expect("complete");
    expect(complete.jobs.map(({ jobId, lease }) => ({ jobId, lease }))).toEqual([{ jobId: 1, lease: 5 }, { jobId: 2, lease: 5 }]);
  });
});

describe("losing the queue", () => {
  it("notices a silent queue, reconnects holding its running job, then reports it there", async () => {
    const gate = deferred();
    const { logger } = startWorker({ handlers: { wait: () => gate.promise.then(() => "done") } });
    const first = await queue.nextSession({ heartbeatIntervalMs: 20, heartbeatTimeoutMs: 100 });
    first.connection.assign(await first.connection.expect("fetch"), [assignment(3, { type: "wait" })]);
    await logger.waitFor("job.started");
    first.connection.answerHeartbeats = false;

    const second = await queue.nextSession();
    expect(second.hello.holding).toEqual([{ jobId: 3, lease: 30 }]);
    expect(logger.events()).toEqual(expect.arrayContaining(["disconnected", "reconnecting"]));
    gate.resolve();
    const complete = await second.connection.expect("complete");
    expect(complete.jobs).toEqual([{ jobId: 3, lease: 30, result: "done" }]);
    second.connection.ack(complete);
    expect((await second.connection.expect("fetch")).max).toBe(1);
  });

  it("sends reports held over a lost connection on the next session, and logs a refusal instead of failing", async () => {
    const gate = deferred();
    const { logger } = startWorker({ handlers: { wait: () => gate.promise } });
    const first = await queue.nextSession();
    first.connection.assign(await first.connection.expect("fetch"), [assignment(4, { type: "wait" })]);
    await logger.waitFor("job.started");
    first.connection.drop();
    await logger.waitFor("disconnected");
    gate.resolve();
    await logger.waitFor("job.completed");

    const second = await queue.nextSession();
    expect(second.hello.holding).toEqual([{ jobId: 4, lease: 40 }]);
    const complete = await second.connection.expect("complete");
    second.connection.ack(complete, [{ jobId: 4, code: "stale-lease", message: "lease 40 is not the job's current lease (41)" }]);
    await logger.waitFor("report.refused", (fields) => fields.jobId === 4 && fields.code === "stale-lease");
    expect((await second.connection.expect("fetch")).max).toBe(1);
  });

  it("drops the reports and stops the jobs of an earlier queue run, whose job ids and leases the new run hands out again", async () => {
    const gate = deferred();
    const aborted = deferred<unknown>();
    const { logger } = startWorker({
      concurrency: 2,
      handlers: {
        wait: () => gate.promise,
        endless: (_job, ctx) => new Promise(() => ctx.signal.addEventListener("abort", () => aborted.resolve(ctx.signal.reason))),
      },
    });
    const first = await queue.nextSession();
    first.connection.assign(await first.connection.expect("fetch"), [assignment(4, { type: "wait" }), assignment(5, { type: "endless" })]);
    await logger.waitFor("job.started", (fields) => fields.jobId === 5);
    first.connection.drop();
    await logger.waitFor("disconnected");
    gate.resolve();
    await logger.waitFor("job.completed");

    const second = await queue.nextSession({ queueRunId: "run-2", heartbeatIntervalMs: 20 });
    expect(second.hello.holding).toEqual([{ jobId: 5, lease: 50 }, { jobId: 4, lease: 40 }]);
    expect(String(await aborted.promise)).toMatch(/restarted/);
    await logger.waitFor("job.abandoned", (fields) => fields.jobId === 5);
    // Neither the finished job's report nor anything of the stopped one goes to the new run.
    expect((await second.connection.expect("fetch")).max).toBe(2);
    await second.connection.nothingBeforeTwoHeartbeats();
  });
});

describe("stopping", () => {
  it("withdraws, lets running jobs finish within the grace, then releases the rest and closes", async () => {
    const quick = deferred();
    const aborted = deferred<unknown>();
    const { worker, logger } = startWorker({
      concurrency: 2,
      handlers: {
        quick: () => quick.promise.then(() => "ok"),
        endless: (_job, ctx) => new Promise(() => ctx.signal.addEventListener("abort", () => aborted.resolve(ctx.signal.reason))),
      },
    });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "quick" }), assignment(2, { type: "endless" })]);
    await logger.waitFor("job.started", (fields) => fields.jobId === 2);
    const stopped = worker.stop({ graceMs: 150 });
    connection.reply(await connection.expect("withdraw"), { type: "ok" });
    quick.resolve();
    const complete = await connection.expect("complete");
    expect(complete.jobs).toEqual([{ jobId: 1, lease: 10, result: "ok" }]);
    connection.ack(complete);
    const release = await connection.expect("release");
    expect(release.jobs).toEqual([{ jobId: 2, lease: 20 }]);
    expect(String(await aborted.promise)).toContain("stopping");
    connection.ack(release);
    await stopped;
    await connection.closed;
  });

  it("releases at once jobs the queue assigns while it is stopping", async () => {
    const { worker, logger } = startWorker();
    const { connection } = await queue.nextSession();
    const fetch = await connection.expect("fetch");
    const stopped = worker.stop({ graceMs: 1_000 });
    const withdraw = await connection.expect("withdraw");
    connection.assign(fetch, [assignment(5)]); // it crossed the withdraw on the wire
    connection.reply(withdraw, { type: "ok" });
    const release = await connection.expect("release");
    expect(release.jobs).toEqual([{ jobId: 5, lease: 50 }]);
    connection.ack(release);
    await stopped;
    expect(logger.events()).not.toContain("job.started");
    expect(logger.events().at(-1)).toBe("stopped");
  });

  it("finishes and reports what it holds, but fetches no more, after the queue's shutdown push", async () => {
    const gate = deferred();
    const { logger } = startWorker({ concurrency: 2, handlers: { wait: () => gate.promise } });
    const { connection } = await queue.nextSession({ heartbeatIntervalMs: 20 });
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "wait" })]);
    await connection.expect("fetch");
    connection.send({ type: "shutdown", graceMs: 5_000 });
    await logger.waitFor("queue.shutdown");
    gate.resolve();
    connection.ack(await connection.expect("complete"));
    await connection.nothingBeforeTwoHeartbeats();
  });
});

describe("the events a program hears", () => {
  function record(worker: Worker): { name: string; event: unknown }[] {
    const heard: { name: string; event: unknown }[] = [];
    for (const name of ["completed", "failed", "refused", "abandoned", "connected", "disconnected"] as const) {
      worker.on(name, (event: unknown) => heard.push({ name, event }));
    }
    return heard;
  }

  it("emits completed only once the queue acknowledged it, refused with the queue's code, and failed when accepted", async () => {
    const { worker } = startWorker({
      concurrency: 3,
      handlers: { ok: () => "done", bad: () => Promise.reject(new Error("boom")) },
    });
    const heard = record(worker);
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "ok" }), assignment(2, { type: "ok" }), assignment(3, { type: "bad" })]);
    const complete = await connection.expect("complete", { skip: ["fetch"] });
    expect(complete.jobs.map((job) => job.jobId)).toEqual([1, 2]);
    // The worker logs job.completed when the handler returns; the event waits for the queue's word.
    expect(heard.filter((h) => h.name === "completed")).toEqual([]);
    connection.ack(complete, [{ jobId: 2, code: "stale-lease", message: "lease 20 is not the job's current lease (21)" }]);
    const fail = await connection.expect("fail", { skip: ["fetch"] });
    connection.ack(fail);
    await until(() => heard.some((h) => h.name === "failed"));
    expect(heard.filter((h) => h.name !== "connected")).toEqual([
      { name: "completed", event: { jobId: 1, lease: 10, result: "done" } },
      { name: "refused", event: { jobId: 2, lease: 20, report: "complete", code: "stale-lease", message: "lease 20 is not the job's current lease (21)" } },
      { name: "failed", event: { jobId: 3, lease: 30, error: "boom", permanent: false } },
    ]);
  });

  it("emits abandoned with the queue's reason when it takes a running job back", async () => {
    const { worker, logger } = startWorker({ concurrency: 2, handlers: { stuck: (_job, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))) } });
    const heard = record(worker);
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(7, { type: "stuck" }), assignment(8, { type: "stuck" })]);
    await logger.waitFor("job.started", (fields) => fields.jobId === 8);
    connection.send({ type: "abandon", jobId: 7, lease: 70, reason: "timed-out" });
    connection.send({ type: "abandon", jobId: 8, lease: 80, reason: "lease-revoked" });
    await until(() => heard.filter((h) => h.name === "abandoned").length === 2);
    expect(heard.filter((h) => h.name === "abandoned")).toEqual([
      { name: "abandoned", event: { jobId: 7, lease: 70, reason: "timed-out", detail: "timed-out" } },
      { name: "abandoned", event: { jobId: 8, lease: 80, reason: "lease-lost", detail: "lease-revoked" } },
    ]);
  });

  it("emits disconnected when the session is lost and connected again, as a reconnection, on the next", async () => {
    const { worker } = startWorker();
    const heard = record(worker);
    const first = await queue.nextSession();
    await until(() => heard.length === 1);
    first.connection.drop();
    await queue.nextSession({ queueRunId: "run-1" });
    await until(() => heard.length === 3);
    expect(heard.map((h) => h.name)).toEqual(["connected", "disconnected", "connected"]);
    expect(heard[0]!.event).toEqual({ queueRunId: "run-1", reconnected: false });
    expect(heard[2]!.event).toEqual({ queueRunId: "run-1", reconnected: true });
  });

  it("logs a listener that throws and goes on reporting", async () => {
    const { worker, logger } = startWorker({ handlers: { ok: () => "done" } });
    worker.on("completed", () => {
      throw new Error("listener bug");
    });
    const { connection } = await queue.nextSession();
    connection.assign(await connection.expect("fetch"), [assignment(1, { type: "ok" })]);
    connection.ack(await connection.expect("complete"));
    await logger.waitFor("listener.failed", (fields) => fields.event === "completed");
    connection.assign(await connection.expect("fetch"), [assignment(2, { type: "ok" })]);
    expect((await connection.expect("complete")).jobs).toEqual([{ jobId: 2, lease: 20, result: "done" }]);
  });
});

async function until(done: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("the condition never held");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
