// Anyone who can reach the port can send anything: each bad input gets a clear refusal, and
// the queue keeps serving everyone else without losing a job.
import { describe, expect, it } from "vitest";
import { startQueue as startRealQueue, type QueueProcess } from "./harness/processes.js";
import { client, connect } from "./harness/raw-peers.js";

// The raw-socket workers here send no heartbeats: a long timeout keeps them alive under load.
const startQueue = (args: string[] = [], env: Record<string, string> = {}) =>
  startRealQueue(["--heartbeat-timeout-ms", "60000", ...args], env);

/** The queue still answers a fresh connection and still holds the job it was given. */
async function expectStillServing(queue: QueueProcess, jobId?: number): Promise<void> {
  const probe = await client(queue);
  if (jobId !== undefined) {
    expect(await probe.request({ id: "p", type: "status", jobId })).toMatchObject({ type: "job", job: { jobId } });
  } else {
    expect(await probe.request({ id: "p", type: "stats" })).toMatchObject({ type: "stats" });
  }
}

describe("bad messages on an open connection", () => {
  it("answers each malformed message with a stable code and a sentence naming the problem, and keeps the job it holds", async () => {
    const queue = await startQueue();
    const socket = await client(queue);
    const submitted = await socket.request({ id: 1, type: "submit", jobs: [{ durationMs: 10 }] });
    const jobId = (submitted.jobIds as number[])[0];

    socket.write("{not json\n");
    expect(await socket.next()).toMatchObject({ type: "error", code: "bad-json" });
    socket.write("[1,2,3]\n");
    expect(await socket.next()).toMatchObject({ type: "error", code: "bad-message", message: "a message must be a JSON object" });
    socket.write("42\n");
    expect(await socket.next()).toMatchObject({ code: "bad-message" });
    expect(await socket.request({ id: 2, type: "launch-missiles" })).toMatchObject({
      id: 2,
      code: "bad-message",
      message: expect.stringContaining('unknown message type "launch-missiles"'),
    });
    expect(await socket.request({ id: 3, type: "status" })).toMatchObject({ id: 3, code: "bad-message", message: expect.stringContaining("jobId") });
    expect(await socket.request({ id: 4, type: "submit", jobs: [{ durationMs: -5 }] })).toMatchObject({
      id: 4,
      code: "bad-message",
      message: expect.stringContaining("jobs.0.durationMs"),
    });
    expect(await socket.request({ id: 5, type: "submit", jobs: [{ durationMs: 1e15 }] })).toMatchObject({ code: "bad-message" });
    expect(await socket.request({ id: 6, type: "submit", jobs: [{ maxAttempts: 0 }] })).toMatchObject({
      code: "bad-message",
      message: expect.stringContaining("maxAttempts"),
    });
    expect(await socket.request({ id: 7, type: "submit", jobs: [{ duraton: 5 }] })).toMatchObject({
      code: "bad-message",
      message: expect.stringContaining("duraton"),
    });
    expect(await socket.request({ id: 8, type: "status", jobId: 999_999 })).toMatchObject({ id: 8, code: "unknown-job" });
    expect(await socket.request({ id: 9, type: "cancel", jobId: 424242 })).toMatchObject({ id: 9, code: "unknown-job" });
    expect(await socket.request({ id: 10, type: "hello", role: "client", version: 1 })).toMatchObject({ code: "already-hello" });

    expect(socket.closed).toBe(false);
    await expectStillServing(queue, jobId);
  });

  it("closes a connection that keeps sending garbage after a bounded number of errors", async () => {
    const queue = await startQueue(["--max-errors", "5"]);
    const socket = await client(queue);
    for (let i = 0; i < 20; i += 1) socket.write("garbage\n");
    const replies: Record<string, unknown>[] = [];
    for (;;) {
      try {
        replies.push(await socket.next(2_000));
      } catch {
        break;
      }
    }
    expect(replies.at(-1)).toMatchObject({ code: "too-many-errors" });
    expect(replies.length).toBeLessThanOrEqual(7);
    await socket.waitClosed();
    await expectStillServing(queue);
  });

  it("refuses anything but hello first, and a second request with an id still in flight", async () => {
    const queue = await startQueue();
    const early = await connect(queue.port);
    expect(await early.request({ id: 1, type: "submit", jobs: [{}] })).toMatchObject({ id: 1, code: "hello-required" });

    const worker = await connect(queue.port);
    expect(await worker.hello("worker", { workerId: "dup" })).toMatchObject({ type: "welcome" });
    worker.send({ id: 7, type: "fetch", max: 1 });
    expect(await worker.request({ id: 7, type: "fetch", max: 1 })).toMatchObject({ id: 7, code: "duplicate-request-id" });
  });
});

describe("framing limits", () => {
  it("refuses a line longer than the frame limit as soon as the limit is passed, with no newline ever sent", async () => {
    const queue = await startQueue(["--max-frame-bytes", "4096"]);
    const socket = await client(queue);
    socket.write(`{"id":1,"type":"submit","jobs":[{"payload":"${"x".repeat(5000)}`);
    expect(await socket.next()).toMatchObject({ type: "error", code: "frame-too-large" });
    await socket.waitClosed();
    await expectStillServing(queue);
  });

  it("refuses invalid UTF-8 and binary garbage and closes that connection only", async () => {
    const queue = await startQueue();
    const socket = await client(queue);
    socket.write(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a]));
    expect(await socket.next()).toMatchObject({ code: "bad-utf8" });
    await socket.waitClosed();
    await expectStillServing(queue);
  });

  it("closes a connection that never says hello, even one that sent half a message (slowloris)", async () => {
    const queue = await startQueue(["--hello-timeout-ms", "300"]);
    const silent = await connect(queue.port);
    const half = await connect(queue.port);
    half.write('{"id":1,"type":"hel');
    expect(await silent.next()).toMatchObject({ code: "hello-timeout" });
    expect(await half.next()).toMatchObject({ code: "hello-timeout" });
    await Promise.all([silent.waitClosed(), half.waitClosed()]);
  });
});

describe("limits on what grows", () => {
  it("refuses connections past the limit with a clear message", async () => {
    const queue = await startQueue(["--max-connections", "3"]);
    const held = await Promise.all([client(queue), client(queue), client(queue)]);
    const extra = await connect(queue.port);
    expect(await extra.next()).toMatchObject({ code: "too-many-connections", message: expect.stringContaining("3 connections") });
    await extra.waitClosed();
    held[0]?.close();
    await queue.waitForEvent("client.disconnected");
    await expectStillServing(queue);
  });

  it("drops a client that does not read its socket once its unsent output passes the bound", async () => {
    const queue = await startQueue(["--max-output-bytes", "65536"]);
    const socket = await client(queue);
    socket.socket.pause();
    const burst = `${JSON.stringify({ id: 1, type: "stats" })}\n`.repeat(2_000);
    for (let i = 0; i < 20 && !socket.closed; i += 1) {
      socket.write(burst);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await queue.waitForEvent("connection.overflow");
    await socket.waitClosed();
    await expectStillServing(queue);
  });

  it("refuses a submission burst beyond the unfinished-job limit as queue-full, all or nothing", async () => {
    const queue = await startQueue(["--max-jobs", "10"]);
    const socket = await client(queue);
    expect(await socket.request({ id: 1, type: "submit", jobs: Array.from({ length: 8 }, () => ({})) })).toMatchObject({ type: "submitted" });
    expect(await socket.request({ id: 2, type: "submit", jobs: Array.from({ length: 3 }, () => ({})) })).toMatchObject({
      id: 2,
      code: "queue-full",
      message: expect.stringContaining("limit 10"),
    });
    const stats = await socket.request({ id: 3, type: "stats" });
    expect(stats).toMatchObject({ counts: { pending: 8 } });
  });

  it("refuses a payload larger than the configured maximum", async () => {
    const queue = await startQueue(["--max-payload-bytes", "100"]);
    const socket = await client(queue);
    expect(await socket.request({ id: 1, type: "submit", jobs: [{}, { payload: { blob: "y".repeat(200) } }] })).toMatchObject({
      id: 1,
      code: "payload-too-large",
      message: expect.stringContaining("jobs.1.payload"),
    });
    expect(await socket.request({ id: 2, type: "submit", jobs: [{ payload: { small: true } }] })).toMatchObject({ type: "submitted" });
  });

  it("keeps settled jobs within the retention bound and says a dropped one has expired", async () => {
    const queue = await startQueue(["--retention-jobs", "2"]);
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: [{}, {}, {}, {}] })) as { jobIds: number[] };
    const worker = await connect(queue.port);
    await worker.hello("worker", { workerId: "r1" });
    const assign = (await worker.request({ id: 2, type: "fetch", max: 4 })) as { jobs: { jobId: number; lease: number }[] };
    expect(assign.jobs).toHaveLength(4);
    expect(await worker.request({ id: 3, type: "complete", jobs: assign.jobs.map((j) => ({ jobId: j.jobId, lease: j.lease })) })).toMatchObject({ refused: [] });
    expect(await submitter.request({ id: 4, type: "status", jobId: jobIds[0] })).toMatchObject({ code: "job-expired" });
    expect(await submitter.request({ id: 5, type: "status", jobId: jobIds[3] })).toMatchObject({ job: { state: "completed" } });
  });
});

describe("role rules", () => {
  it("lets a client neither take nor complete jobs, and a worker complete only what it holds", async () => {
    const queue = await startQueue();
    const submitter = await client(queue);
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: [{}] })) as { jobIds: number[] };
    expect(await submitter.request({ id: 2, type: "fetch", max: 1 })).toMatchObject({ code: "role-forbidden" });
    expect(await submitter.request({ id: 3, type: "complete", jobs: [{ jobId: jobIds[0], lease: 1 }] })).toMatchObject({ code: "role-forbidden" });

    const holder = await connect(queue.port);
    await holder.hello("worker", { workerId: "holder" });
    const other = await connect(queue.port);
    await other.hello("worker", { workerId: "other" });
    const assign = (await holder.request({ id: 4, type: "fetch", max: 1 })) as { jobs: { jobId: number; lease: number }[] };
    const { jobId, lease } = assign.jobs[0] as { jobId: number; lease: number };
    const job = { jobId, lease };
    expect(await other.request({ id: 5, type: "complete", jobs: [job] })).toMatchObject({ refused: [{ jobId: job.jobId, code: "stale-lease" }] });
    expect(await other.request({ id: 6, type: "extend", ...job })).toMatchObject({ code: "stale-lease" });
    expect(await other.request({ id: 7, type: "submit", jobs: [{}] })).toMatchObject({ code: "role-forbidden" });
    expect(await holder.request({ id: 8, type: "complete", jobs: [job] })).toMatchObject({ refused: [] });
    expect(await submitter.request({ id: 9, type: "status", jobId: job.jobId })).toMatchObject({ job: { state: "completed" } });
  });
});

describe("access control", () => {
  it("closes a connection with a wrong or missing secret and accepts the right one, per role", async () => {
    const queue = await startQueue([], { DJQ_CLIENT_SECRET: "client-s3cret", DJQ_WORKER_SECRET: "worker-s3cret" });
    const missing = await connect(queue.port);
    expect(await missing.hello("client")).toMatchObject({ code: "auth-failed" });
    await missing.waitClosed();
    const wrong = await connect(queue.port);
    expect(await wrong.hello("worker", { secret: "client-s3cret" })).toMatchObject({ code: "auth-failed" });
    await wrong.waitClosed();
    const right = await connect(queue.port);
    expect(await right.hello("client", { secret: "client-s3cret" })).toMatchObject({ type: "welcome" });
    const worker = await connect(queue.port);
    expect(await worker.hello("worker", { secret: "worker-s3cret" })).toMatchObject({ type: "welcome" });
  });

  it("binds a liveness connection only with the worker secret and its session's token, and lets it only beat", async () => {
    const queue = await startQueue([], { DJQ_WORKER_SECRET: "worker-s3cret" });
    const worker = await connect(queue.port);
    const welcome = await worker.hello("worker", { secret: "worker-s3cret", workerId: "w1" });
    const token = welcome.livenessToken as string;
    expect(token).toMatch(/^[0-9a-f]{32}$/);

    const noSecret = await connect(queue.port);
    expect(await noSecret.hello("liveness", { workerId: "w1", livenessToken: token })).toMatchObject({ code: "auth-failed" });
    await noSecret.waitClosed();
    const guessed = await connect(queue.port);
    expect(await guessed.hello("liveness", { secret: "worker-s3cret", workerId: "w1", livenessToken: "f".repeat(32) })).toMatchObject({
      code: "unknown-session",
    });
    await guessed.waitClosed();
    const noSession = await connect(queue.port);
    expect(await noSession.hello("liveness", { secret: "worker-s3cret", workerId: "w2", livenessToken: token })).toMatchObject({
      code: "unknown-session",
    });
    await noSession.waitClosed();

    const liveness = await connect(queue.port);
    expect(await liveness.hello("liveness", { secret: "worker-s3cret", workerId: "w1", livenessToken: token })).toMatchObject({ type: "welcome" });
    expect(await liveness.request({ id: 1, type: "fetch", max: 1 })).toMatchObject({ code: "role-forbidden" });
    expect(await liveness.request({ id: 2, type: "complete", jobs: [{ jobId: 1, lease: 1 }] })).toMatchObject({ code: "role-forbidden" });
    expect(await liveness.request({ id: 3, type: "heartbeat" })).toEqual({ id: 3, type: "heartbeat" });
  });
});
