import { ErrorCode, MAX_JOBS_PER_MESSAGE, PROTOCOL_VERSION } from "@djq/protocol";
import { ConnectionClosedError, QueueError } from "@djq/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { JobLostError, PartialSubmitError, QueueUnreachableError } from "./client-errors.js";
import { connectClient, type ClientOptions, type DjqClient } from "./client.js";
import { FakeQueue, type FakeConnection } from "@djq/runtime/testing";
import type { SettledJob } from "./watch-registry.js";

const fast = { initialMs: 5, maxMs: 20, giveUpAfterMs: 300 };
let queue: FakeQueue;
let client: DjqClient | undefined;

async function setup(options: ClientOptions = {}, queueOptions = {}): Promise<{ client: DjqClient; conn: FakeConnection }> {
  queue = await FakeQueue.start(queueOptions);
  const connecting = connectClient({ port: queue.port, reconnect: fast, ...options });
  const conn = await queue.nextConnection();
  client = await connecting;
  return { client, conn };
}

afterEach(async () => {
  await client?.close();
  client = undefined;
  expect(queue.badFrames).toEqual([]);
  await queue.stop();
});

describe("connecting", () => {
  it("says hello as a client with the protocol version and the secret", async () => {
    const { conn } = await setup({ secret: "s3cret" }, { secret: "s3cret" });
    expect(conn.hello).toMatchObject({ type: "hello", role: "client", version: PROTOCOL_VERSION, secret: "s3cret" });
  });

  it("rejects with auth-failed at once when the secret is wrong", async () => {
    queue = await FakeQueue.start({ secret: "right" });
    const error = await connectClient({ port: queue.port, secret: "wrong", reconnect: fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueError);
    expect((error as QueueError).code).toBe(ErrorCode.authFailed);
  });
});

describe("submit", () => {
  it("sends a key and the watch flag and returns the queue's job ids", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit([{ durationMs: 500 }, { durationMs: 500 }], { watch: true });
    const request = await conn.expect("submit");
    expect(request.jobs).toEqual([{ durationMs: 500 }, { durationMs: 500 }]);
    expect(request.watch).toBe(true);
    expect(request.key).toMatch(/^[0-9a-f-]{36}$/);
    conn.reply(request, { type: "submitted", jobIds: [1, 2] });
    expect(await submitting).toEqual([1, 2]);
  });

  it("uses the caller's key as given for a one-message submit", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit({ durationMs: 1 }, { key: "order-17" });
    const request = await conn.expect("submit");
    expect(request.key).toBe("order-17");
    expect(request.watch).toBeUndefined();
    conn.reply(request, { type: "submitted", jobIds: [9] });
    expect(await submitting).toEqual([9]);
  });

  it("resends the same submit with the same key when the connection drops before the reply", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit({ durationMs: 5 });
    const first = await conn.expect("submit");
    conn.drop();
    const second = await (await queue.nextConnection()).expect("submit");
    expect(second.key).toBe(first.key);
    expect(second.jobs).toEqual(first.jobs);
    queue.connections[1]?.reply(second, { type: "submitted", jobIds: [4] });
    expect(await submitting).toEqual([4]);
  });

  it("encodes each job once, and resends after a drop the jobs as they were when submit was called", async () => {
    const { client, conn } = await setup();
    let encodings = 0;
    const payload = { to: "ada@example.com", toJSON: () => ({ to: `ada-${++encodings}@example.com` }) };
    const job = { type: "email", payload };
    const submitting = client.submit(job);
    job.type = "changed";
    const first = await conn.expect("submit");
    conn.drop();
    const second = await (await queue.nextConnection()).expect("submit");
    expect(encodings).toBe(1);
    expect(first.jobs).toEqual([{ type: "email", payload: { to: "ada-1@example.com" } }]);
    expect(second.jobs).toEqual(first.jobs);
    queue.connections[1]?.reply(second, { type: "submitted", jobIds: [4] });
    expect(await submitting).toEqual([4]);
  });

  it(`splits a batch larger than ${MAX_JOBS_PER_MESSAGE} jobs into several messages with their own keys`, async () => {
    const { client, conn } = await setup();
    const jobs = Array.from({ length: MAX_JOBS_PER_MESSAGE + 1 }, () => ({ durationMs: 1 }));
    const submitting = client.submit(jobs, { key: "big" });
    const first = await conn.expect("submit");
    expect(first.jobs).toHaveLength(MAX_JOBS_PER_MESSAGE);
    expect(first.key).toBe("big#0");
    conn.reply(first, { type: "submitted", jobIds: first.jobs.map((_, i) => i + 1) });
    const second = await conn.expect("submit");
    expect(second.jobs).toHaveLength(1);
    expect(second.key).toBe("big#1");
    conn.reply(second, { type: "submitted", jobIds: [MAX_JOBS_PER_MESSAGE + 1] });
    const ids = await submitting;
    expect(ids).toHaveLength(MAX_JOBS_PER_MESSAGE + 1);
    expect(ids.at(-1)).toBe(MAX_JOBS_PER_MESSAGE + 1);
  });

  it("keeps every message under the frame limit the queue announced", async () => {
    const { client, conn } = await setup({}, { maxFrameBytes: 4_096 });
    const jobs = Array.from({ length: 30 }, (_, i) => ({ payload: { text: "x".repeat(300), i } }));
    const submitting = client.submit(jobs);
    let sent = 0;
    while (sent < jobs.length) {
      const request = await conn.expect("submit");
      expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(4_096);
      conn.reply(request, { type: "submitted", jobIds: request.jobs.map((_, i) => sent + i + 1) });
      sent += request.jobs.length;
    }
    expect(await submitting).toEqual(jobs.map((_, i) => i + 1));
    expect(conn.received.length).toBeGreaterThan(1);
  });

  it("reports the ids already created when a later message of a split submit is refused", async () => {
    const { client, conn } = await setup();
    const jobs = Array.from({ length: MAX_JOBS_PER_MESSAGE + 5 }, () => ({}));
    const submitting = client.submit(jobs).catch((e: unknown) => e);
    const first = await conn.expect("submit");
    conn.reply(first, { type: "submitted", jobIds: first.jobs.map((_, i) => i + 1) });
    conn.replyError(await conn.expect("submit"), ErrorCode.queueFull, "the queue is full");
    const error = (await submitting) as PartialSubmitError;
    expect(error).toBeInstanceOf(PartialSubmitError);
    expect(error.jobIds).toHaveLength(MAX_JOBS_PER_MESSAGE);
    expect(error.notSubmitted).toBe(5);
    expect((error.cause as QueueError).code).toBe(ErrorCode.queueFull);
  });

  it("refuses a malformed job before sending anything", async () => {
    const { client, conn } = await setup();
    await expect(client.submit({ priority: 42 })).rejects.toThrow(/jobs\[0\]\.priority: /);
    expect(conn.received).toEqual([]);
  });
});

describe("error replies", () => {
  it("become a QueueError carrying the queue's code", async () => {
    const { client, conn } = await setup();
    const looking = client.status(99).catch((e: unknown) => e);
    conn.replyError(await conn.expect("status"), ErrorCode.unknownJob, "no job 99");
    const error = (await looking) as QueueError;
    expect(error).toBeInstanceOf(QueueError);
    expect(error.code).toBe(ErrorCode.unknownJob);
    expect(error.message).toBe("no job 99");
  });
});

describe("waiting for jobs", () => {
  it("delivers a settled push that arrived before waitFor was called", async () => {
    const { client, conn } = await setup({}, { heartbeatIntervalMs: 20 });
    const submitting = client.submit({ durationMs: 0 }, { watch: true });
    const request = await conn.expect("submit");
    // The reply and the push in one write: the push is handled before submit() even returns.
    conn.send({ id: request.id, type: "submitted", jobIds: [1] });
    conn.push({ type: "settled", jobs: [{ jobId: 1, state: "completed", result: "done" }] });
    const [jobId] = await submitting;
    const results = await client.waitFor([jobId as number]);
    expect([...results.values()]).toEqual([{ jobId: 1, state: "completed", result: "done" }]);
    // A watch sent by waitFor would have arrived before the client's next heartbeat.
    await conn.heartbeatsFromNow(1);
    expect(conn.received.map((r) => r.type)).toEqual(["submit"]);
  });

  it("resolves once every job settled, calling onSettled for each in turn", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit([{}, {}, {}], { watch: true });
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1, 2, 3] });
    const ids = await submitting;
    const seen: SettledJob[] = [];
    const waiting = client.waitFor(ids, { onSettled: (job) => seen.push(job) });
    conn.push({ type: "settled", jobs: [{ jobId: 2, state: "failed", error: "boom" }] });
    conn.push({ type: "settled", jobs: [{ jobId: 1, state: "completed" }] });
    conn.push({ type: "settled", jobs: [{ jobId: 3, state: "cancelled" }] });
    const results = await waiting;
    expect([...results.keys()]).toEqual([1, 2, 3]);
    expect(results.get(2)).toEqual({ jobId: 2, state: "failed", error: "boom" });
    expect(seen.map((job) => job.jobId)).toEqual([2, 1, 3]);
  });

  it("emits the progress the queue pushes for watched jobs, and hands a wait the progress of its own jobs only", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit([{}, {}], { watch: true });
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1, 2] });
    await submitting;
    const emitted: unknown[] = [];
    client.on("progress", (progress) => emitted.push(progress));
    const waitedOn: unknown[] = [];
    const waiting = client.waitFor(1, { onProgress: (progress) => waitedOn.push(progress) });
    conn.push({ type: "progress", jobId: 1, percent: 40, message: "resizing" });
    conn.push({ type: "progress", jobId: 2, percent: 10 });
    conn.push({ type: "settled", jobs: [{ jobId: 1, state: "completed" }] });
    await waiting;
    expect(emitted).toEqual([{ jobId: 1, percent: 40, message: "resizing" }, { jobId: 2, percent: 10 }]);
    expect(waitedOn).toEqual([{ jobId: 1, percent: 40, message: "resizing" }]);
    expect(client.listenerCount("progress")).toBe(1);
  });

  it("watches jobs that were submitted without watch before waiting on them", async () => {
    const { client, conn } = await setup();
    const waiting = client.waitFor([7, 8]);
    const watch = await conn.expect("watch");
    expect(watch.jobIds).toEqual([7, 8]);
    conn.reply(watch, { type: "ok" });
    conn.push({ type: "settled", jobs: [{ jobId: 7, state: "completed" }] });
    conn.push({ type: "settled", jobs: [{ jobId: 8, state: "completed" }] });
    expect([...(await waiting).keys()]).toEqual([7, 8]);
  });

  it("refuses a wait on something that is not a job id before sending anything", async () => {
    const { client, conn } = await setup();
    await expect(client.waitFor([1, 0])).rejects.toThrow(/jobIds\[1\]: 0 is not a job id/);
    await expect(client.waitFor(2.5)).rejects.toThrow(TypeError);
    expect(conn.received).toEqual([]);
  });

  it("rejects a wait on a job the queue does not know with its QueueError", async () => {
    const { client, conn } = await setup();
    const waiting = client.waitFor([5, 6]).catch((e: unknown) => e);
    conn.replyError(await conn.expect("watch"), ErrorCode.unknownJob, "no job 6");
    // The fake refuses the batch; the client asks per job to learn which id was refused.
    const [one, two] = [await conn.expect("watch"), await conn.expect("watch")];
    conn.reply(one, { type: "ok" });
    conn.replyError(two, ErrorCode.unknownJob, "no job 6");
    const error = (await waiting) as QueueError;
    expect(error.code).toBe(ErrorCode.unknownJob);
  });

  it("re-watches every unsettled job after a reconnect, then delivers their pushes", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit([{}, {}, {}], { watch: true });
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1, 2, 3] });
    const ids = await submitting;
    conn.push({ type: "settled", jobs: [{ jobId: 1, state: "completed" }] });
    let firstSettled!: () => void;
    const pushHandled = new Promise<void>((resolve) => (firstSettled = resolve));
    const waiting = client.waitFor(ids, { onSettled: (job) => job.jobId === 1 && firstSettled() });
    await pushHandled;
    conn.drop();
    const again = await queue.nextConnection();
    const watch = await again.expect("watch");
    expect(watch.jobIds).toEqual([2, 3]);
    again.reply(watch, { type: "ok" });
    again.push({ type: "settled", jobs: [{ jobId: 2, state: "completed" }] });
    again.push({ type: "settled", jobs: [{ jobId: 3, state: "completed" }] });
    expect([...(await waiting).keys()]).toEqual([1, 2, 3]);
  });

  it("reports watched jobs as lost when the queue restarted, and resends the request in flight", async () => {
    const { client, conn } = await setup();
    const submitting = client.submit([{}, {}], { watch: true });
    conn.reply(await conn.expect("submit"), { type: "submitted", jobIds: [1, 2] });
    const ids = await submitting;
    const waiting = client.waitFor(ids).catch((e: unknown) => e);
    const looking = client.status(1).catch((e: unknown) => e);
    await conn.expect("status");
    queue.restart("run-2");
    const fresh = await queue.nextConnection();
    const error = await waiting;
    expect(error).toBeInstanceOf(JobLostError);
    expect((error as JobLostError).jobId).toBe(1);
    expect((error as Error).message).toMatch(/queue restarted/);
    // The new queue does not know job 1 either; it says so, and the client does not re-watch.
    fresh.replyError(await fresh.expect("status"), ErrorCode.unknownJob);
    expect(((await looking) as QueueError).code).toBe(ErrorCode.unknownJob);
    expect(fresh.received.map((r) => r.type)).toEqual(["status"]);
    expect(client.queueRunId).toBe("run-2");
  });

  it("rejects waiters instead of hanging when the queue stays away", async () => {
    const { client, conn } = await setup();
    const waiting = client.waitFor([3]).catch((e: unknown) => e);
    conn.reply(await conn.expect("watch"), { type: "ok" });
    queue.refusing = true;
    conn.drop();
    const error = await waiting;
    expect(error).toBeInstanceOf(QueueUnreachableError);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toMatch(/could not reconnect .* within 300 ms/);
  });

  it("rejects pending waits when the client is closed", async () => {
    const { client, conn } = await setup();
    const waiting = client.waitFor([3]).catch((e: unknown) => e);
    conn.reply(await conn.expect("watch"), { type: "ok" });
    await client.close();
    expect(await waiting).toBeInstanceOf(ConnectionClosedError);
  });
});

describe("reconnecting", () => {
  it("opens one new connection for many requests that were in flight when it dropped", async () => {
    const { client, conn } = await setup();
    const lookups = [1, 2, 3, 4, 5].map((jobId) => client.stats().then(() => jobId));
    for (let i = 0; i < 5; i += 1) await conn.expect("stats");
    conn.drop();
    const again = await queue.nextConnection();
    for (let i = 0; i < 5; i += 1) again.reply(await again.expect("stats"), statsReply());
    expect(await Promise.all(lookups)).toEqual([1, 2, 3, 4, 5]);
    // The next request goes out on the second connection: the client settled on it.
    const more = client.stats();
    again.reply(await again.expect("stats"), statsReply());
    await more;
    expect(queue.connections).toHaveLength(2);
  });

  it("hangs up on a queue that stopped answering heartbeats and resends on a new connection", async () => {
    const { client, conn } = await setup({}, { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 80 });
    queue.answerHeartbeats = false;
    const looking = client.status(1);
    await conn.expect("status");
    await conn.closed;
    expect(conn.heartbeats).toBeGreaterThan(0);
    queue.answerHeartbeats = true;
    const again = await queue.nextConnection();
    again.reply(await again.expect("status"), { type: "job", job: jobView(1, "failed") });
    expect((await looking).state).toBe("failed");
  });

  it("does not resend a cancel blindly: it looks at the job after a drop", async () => {
    const { client, conn } = await setup();
    const cancelling = client.cancel(4);
    await conn.expect("cancel");
    conn.drop();
    const again = await queue.nextConnection();
    again.reply(await again.expect("status"), { type: "job", job: jobView(4, "cancelled") });
    await cancelling;
    expect(again.received.map((r) => r.type)).toEqual(["status"]);
  });
});

function statsReply() {
  const counts = { delayed: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  return {
    type: "stats" as const,
    at: 0,
    queueRunId: "run-1",
    counts,
    totals: { submitted: 0, completed: 0, failed: 0, cancelled: 0, reassigned: 0, retried: 0, staleRefused: 0 },
    queues: {},
    workers: [],
    completedPerSecond: [],
    recent: [],
    memory: { heldBytes: 0, limitBytes: 1 },
  };
}

function jobView(jobId: number, state: "cancelled" | "failed") {
  return {
    jobId,
    queue: "default",
    type: "sleep",
    state,
    priority: 5,
    durationMs: 1,
    submittedAt: 0,
    attempts: 0,
    maxAttempts: 3,
    timeoutMs: 1000,
    history: [],
  };
}
