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
    expect(assign.jobs).toEqual([expect.objectContaining({ jobId: 1, lease: 1, attempt: 1, durationMs: 5 })]);
    expect(await worker.request({ type: "complete", jobs: [{ jobId: 1, lease: 1, result: "done" }] })).toMatchObject({ refused: [] });
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
});
