// The queue's shell in-process on port 0, spoken to over a real socket, with a manual clock so
// timing is exact: these read like wire transcripts.
import { defaultCoreConfig } from "@djq/core";
import { createLogger, QueueConnection } from "@djq/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { startQueueServer, type RunningQueue } from "./index.js";

const silent = createLogger({ program: "queue", level: "silent" });
let queue: RunningQueue | undefined;
const connections: QueueConnection[] = [];

async function open(clock = new ManualClock()): Promise<{ queue: RunningQueue; clock: ManualClock }> {
  queue = await startQueueServer({ host: "127.0.0.1", port: 0, heartbeatIntervalMs: 100, core: { ...defaultCoreConfig, heartbeatTimeoutMs: 500 } }, silent, clock);
  return { queue, clock };
}

async function connect(port: number, role: "client" | "worker", workerId?: string): Promise<QueueConnection> {
  const connection = await QueueConnection.open({ host: "127.0.0.1", port });
  connections.push(connection);
  await connection.request({ type: "hello", role, version: 1, ...(workerId ? { workerId } : {}) });
  return connection;
}

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  await queue?.shutDown(0);
  queue = undefined;
});

describe("the broker", () => {
  it("gives workers their heartbeat settings and clients slower ones of their own", async () => {
    const config = { heartbeatIntervalMs: 100, clientHeartbeatIntervalMs: 2_000, clientHeartbeatTimeoutMs: 9_000 };
    queue = await startQueueServer({ host: "127.0.0.1", port: 0, ...config, core: { ...defaultCoreConfig, heartbeatTimeoutMs: 500 } }, silent, new ManualClock());
    const hello = async (role: "client" | "worker") => {
      const connection = await QueueConnection.open({ host: "127.0.0.1", port: (queue as RunningQueue).port });
      connections.push(connection);
      return connection.request({ type: "hello", role, version: 1 });
    };
    expect(await hello("worker")).toMatchObject({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 });
    expect(await hello("client")).toMatchObject({ heartbeatIntervalMs: 2_000, heartbeatTimeoutMs: 9_000 });
  });

  it("answers hello, submit, fetch, complete and status in order", async () => {
    const { queue } = await open();
    const client = await connect(queue.port, "client");
    const worker = await connect(queue.port, "worker", "w1");
    expect(await client.request({ type: "submit", jobs: [{ durationMs: 5 }] })).toMatchObject({ type: "submitted", jobIds: [1] });
    const assign = await worker.request({ type: "fetch", max: 1 });
    // The run's first lease is its floor: 1,024 per millisecond of the clock at start.
    const lease = 1_000_000 * 1024;
    expect(assign.jobs).toEqual([expect.objectContaining({ jobId: 1, lease, attempt: 1, durationMs: 5 })]);
    expect(await worker.request({ type: "complete", jobs: [{ jobId: 1, lease, result: "done" }] })).toMatchObject({ refused: [] });
    const status = await client.request({ type: "status", jobId: 1 });
    expect(status.job).toMatchObject({ state: "completed", result: "done", history: [{ workerId: "w1", outcome: "completed" }] });
  });

  it("closes a silent worker's connection and requeues its job once the clock passes the heartbeat timeout", async () => {
    const { queue, clock } = await open();
    const client = await connect(queue.port, "client");
    const frozen = await connect(queue.port, "worker", "frozen");
    await client.request({ type: "submit", jobs: [{}] });
    await frozen.request({ type: "fetch", max: 1 });
    const closed = new Promise<void>((resolve) => frozen.onClose(() => resolve()));

    clock.advance(499);
    queue.broker.tick();
    expect(frozen.closed).toBe(false);
    clock.advance(2);
    queue.broker.tick();
    await closed;

    const status = await client.request({ type: "status", jobId: 1 });
    expect(status.job).toMatchObject({ state: "pending", history: [{ workerId: "frozen", outcome: "worker-lost" }] });
    const rescuer = await connect(queue.port, "worker", "rescuer");
    expect((await rescuer.request({ type: "fetch", max: 1 })).jobs).toEqual([expect.objectContaining({ jobId: 1, attempt: 2 })]);
  });

  it("on shutdown tells workers, waits for running jobs to report, and summarizes what was unfinished", async () => {
    const { queue } = await open();
    const client = await connect(queue.port, "client");
    const worker = await connect(queue.port, "worker", "w1");
    const pushes: string[] = [];
    worker.onPush((message) => pushes.push(message.type));
    await client.request({ type: "submit", jobs: [{}, {}, {}] });
    const assign = await worker.request({ type: "fetch", max: 1 });
    const summary = queue.shutDown(2_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pushes).toContain("shutdown");
    await expect(client.request({ type: "submit", jobs: [{}] })).rejects.toMatchObject({ code: "shutting-down" });
    await worker.request({ type: "complete", jobs: [{ jobId: assign.jobs[0]!.jobId, lease: assign.jobs[0]!.lease }] });
    expect(await summary).toEqual({ pending: 2, delayed: 0, running: 0, unfinishedJobIds: [2, 3] });
  });

  it("keeps a worker whose data connection is silent while its liveness connection beats, and loses it once both are", async () => {
    const { queue, clock } = await open();
    const client = await connect(queue.port, "client");
    const worker = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(worker);
    const welcome = await worker.request({ type: "hello", role: "worker", version: 1, workerId: "busy" });
    expect(welcome.livenessToken).toMatch(/^[0-9a-f]{32}$/);
    const liveness = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(liveness);
    await liveness.request({ type: "hello", role: "liveness", version: 1, workerId: "busy", livenessToken: welcome.livenessToken! });
    await client.request({ type: "submit", jobs: [{}] });
    await worker.request({ type: "fetch", max: 1 });

    for (let beat = 0; beat < 10; beat += 1) {
      clock.advance(400);
      await liveness.request({ type: "heartbeat" });
      queue.broker.tick();
    }
    expect(worker.closed).toBe(false);
    expect((await client.request({ type: "status", jobId: 1 })).job).toMatchObject({ state: "running", attempts: 1 });

    const bothClosed = Promise.all([worker, liveness].map((c) => new Promise<void>((resolve) => c.onClose(() => resolve()))));
    clock.advance(501);
    queue.broker.tick();
    await bothClosed;
    expect((await client.request({ type: "status", jobId: 1 })).job).toMatchObject({ state: "pending", history: [{ outcome: "worker-lost" }] });
  });

  it("refuses a liveness hello with a wrong token, and a liveness connection anything but heartbeats", async () => {
    const { queue } = await open();
    const worker = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(worker);
    const welcome = await worker.request({ type: "hello", role: "worker", version: 1, workerId: "w1" });
    const intruder = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(intruder);
    await expect(intruder.request({ type: "hello", role: "liveness", version: 1, workerId: "w1", livenessToken: "0".repeat(32) })).rejects.toMatchObject({
      code: "unknown-session",
    });
    const liveness = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(liveness);
    await liveness.request({ type: "hello", role: "liveness", version: 1, workerId: "w1", livenessToken: welcome.livenessToken! });
    await expect(liveness.request({ type: "fetch", max: 1 })).rejects.toMatchObject({ code: "role-forbidden" });
    expect(await liveness.request({ type: "heartbeat" })).toMatchObject({ type: "heartbeat" });

    // The session's end ends its liveness connection too.
    const closed = new Promise<void>((resolve) => liveness.onClose(() => resolve()));
    worker.destroy();
    await closed;
  });

  it("pushes a watched job's progress to its watchers as the worker reports it, and the abandon to both worker connections", async () => {
    const { queue } = await open();
    const watcher = await connect(queue.port, "client");
    const pushes: unknown[] = [];
    watcher.onPush((message) => pushes.push(message));
    const worker = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(worker);
    const welcome = await worker.request({ type: "hello", role: "worker", version: 1, workerId: "w1" });
    const liveness = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(liveness);
    await liveness.request({ type: "hello", role: "liveness", version: 1, workerId: "w1", livenessToken: welcome.livenessToken! });
    const abandons: unknown[] = [];
    liveness.onPush((message) => abandons.push(message));

    await watcher.request({ type: "submit", jobs: [{}], watch: true });
    const [job] = (await worker.request({ type: "fetch", max: 1 })).jobs;
    await worker.request({ type: "progress", jobId: 1, lease: job!.lease, percent: 40, message: "resizing" });
    await watcher.request({ type: "cancel", jobId: 1 });
    expect(pushes).toEqual([
      { type: "progress", jobId: 1, percent: 40, message: "resizing" },
      { type: "settled", jobs: [{ jobId: 1, state: "cancelled", error: "cancelled by a client" }] },
    ]);
    await liveness.request({ type: "heartbeat" });
    expect(abandons).toEqual([{ type: "abandon", jobId: 1, lease: job!.lease, reason: "cancelled" }]);
  });

  it("subscribes nothing when a watch is refused, so the job's later settling is not pushed to it", async () => {
    const { queue } = await open();
    const refused = await connect(queue.port, "client");
    const watcher = await connect(queue.port, "client");
    const worker = await connect(queue.port, "worker", "w1");
    const pushed = { refused: [] as number[], watcher: [] as number[] };
    for (const [name, client] of [["refused", refused], ["watcher", watcher]] as const) {
      client.onPush((message) => {
        if (message.type === "settled") pushed[name].push(...message.jobs.map((job) => job.jobId));
      });
    }
    await refused.request({ type: "submit", jobs: [{}] });
    await expect(refused.request({ type: "watch", jobIds: [1, 999] })).rejects.toMatchObject({ code: "unknown-job" });
    await watcher.request({ type: "watch", jobIds: [1] });
    const assign = await worker.request({ type: "fetch", max: 1 });
    await worker.request({ type: "complete", jobs: [{ jobId: 1, lease: assign.jobs[0]!.lease }] });
    await waitUntil(() => pushed.watcher.length > 0);
    // A watch that is accepted reports the settled job at once: the signal that any earlier push has arrived.
    await refused.request({ type: "watch", jobIds: [1] });
    await waitUntil(() => pushed.refused.length > 0);
    expect(pushed).toEqual({ refused: [1], watcher: [1] });
  });

  it("drops a closed client's watches", async () => {
    const { queue } = await open();
    const client = await connect(queue.port, "client");
    await client.request({ type: "submit", jobs: [{}, {}], watch: true });
    expect(queue.broker.core.subscriptionCount()).toBe(2);
    client.destroy();
    await waitUntil(() => queue.broker.connections.size === 0);
    expect(queue.broker.core.subscriptionCount()).toBe(0);
  });

  it("leaves a worker whose hello was refused free to say hello again, and takes no fetch from it before", async () => {
    queue = await startQueueServer({ host: "127.0.0.1", port: 0, core: { ...defaultCoreConfig, maxQueues: 1 } }, silent, new ManualClock());
    const worker = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(worker);
    await expect(worker.request({ type: "hello", role: "worker", version: 1, workerId: "w1", queues: ["a", "b"] })).rejects.toMatchObject({ code: "queue-full" });
    await expect(worker.request({ type: "fetch", max: 1 })).rejects.toMatchObject({ code: "hello-required" });
    expect(await worker.request({ type: "hello", role: "worker", version: 1, workerId: "w1", queues: ["a"] })).toMatchObject({ type: "welcome" });
  });

  it("refuses a connection that never says hello once the hello timeout passes on the queue's clock", async () => {
    const clock = new ManualClock();
    queue = await startQueueServer({ host: "127.0.0.1", port: 0, helloTimeoutMs: 5_000 }, silent, clock);
    const silentPeer = await QueueConnection.open({ host: "127.0.0.1", port: queue.port });
    connections.push(silentPeer);
    const pushes: string[] = [];
    silentPeer.onPush((message) => pushes.push(message.type === "error" ? message.code : message.type));
    const closed = new Promise<void>((resolve) => silentPeer.onClose(() => resolve()));
    await waitUntil(() => (queue as RunningQueue).broker.connections.size === 1);
    clock.advance(4_999);
    expect(silentPeer.closed).toBe(false);
    clock.advance(1);
    await closed;
    expect(pushes).toEqual(["hello-timeout"]);
  });

  it("ends a shutdown's grace on the queue's clock when a running job never reports", async () => {
    const { queue, clock } = await open();
    const client = await connect(queue.port, "client");
    const worker = await connect(queue.port, "worker", "w1");
    await client.request({ type: "submit", jobs: [{}] });
    await worker.request({ type: "fetch", max: 1 });
    let done = false;
    const summary = queue.shutDown(10_000).then((result) => ((done = true), result));
    await waitUntil(() => queue.broker.stopping);
    clock.advance(9_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    clock.advance(1);
    expect(await summary).toMatchObject({ unfinishedJobIds: [1] });
  });
});

async function waitUntil(condition: () => boolean, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the condition did not come true in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
