// The queue program's own edges: a worker that stops reading, an exposed address without
// secrets, what it and a worker log of a job at their default level, and an orderly stop on
// SIGTERM that leaves the operator a record.
import { describe, expect, it } from "vitest";
import { startQueue, startWorker } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";

describe("the queue process", () => {
  it("drops a worker that stops reading once its unsent output passes the bound, and loses none of its jobs", async () => {
    const queue = await startQueue(["--max-output-bytes", "65536", "--heartbeat-timeout-ms", "60000"]);
    const client = await RawSocket.connect(queue.port);
    await client.hello("client");
    // 8 MB of assignments: more than the kernel's socket buffers can hide.
    const payload = { blob: "z".repeat(4_000) };
    const jobIds: number[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const reply = (await client.request({ id: `s${batch}`, type: "submit", jobs: Array.from({ length: 200 }, () => ({ payload })) })) as { jobIds: number[] };
      jobIds.push(...reply.jobIds);
    }

    const deaf = await RawSocket.connect(queue.port);
    await deaf.hello("worker", { workerId: "deaf" });
    deaf.socket.pause();
    for (let i = 0; i < 200 && !deaf.closed; i += 1) {
      deaf.send({ id: `f${i}`, type: "fetch", max: 50 });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await queue.waitForEvent("connection.overflow");
    await queue.waitForEvent("worker.disconnected", { worker: "deaf" });

    const stats = (await client.request({ id: 2, type: "stats" })) as { counts: Record<string, number> };
    expect(stats.counts.pending).toBe(jobIds.length);
    expect(stats.counts.running).toBe(0);
  });

  it("warns loudly when it listens beyond loopback without secrets", async () => {
    const exposed = await startQueue(["--host", "0.0.0.0"]);
    expect((await exposed.waitForEvent("SECURITY")).message).toMatch(/without a client secret/);
    const guarded = await startQueue(["--host", "0.0.0.0", "--client-secret", "c", "--worker-secret", "w"]);
    expect(guarded.events("SECURITY")).toEqual([]);
    const local = await startQueue();
    expect(local.events("SECURITY")).toEqual([]);
  });

  it("logs a job's ordinary path at debug, and none of it at the default level", async () => {
    const pathEvents = { queue: ["jobs.submitted", "job.assigned", "job.completed"], worker: ["job.started", "job.completed", "report.acked"] };
    for (const level of ["info", "debug"]) {
      const queue = await startQueue(["--log-level", level]);
      const worker = await startWorker(queue.port, ["--worker-id", `at-${level}`, "--log-level", level]);
      await queue.waitForEvent("worker.connected", { worker: `at-${level}` });
      const client = await RawSocket.connect(queue.port);
      await client.hello("client");
      const { jobIds } = (await client.request({ id: 1, type: "submit", jobs: [{}], watch: true })) as { jobIds: number[] };
      expect(await client.next(10_000)).toMatchObject({ type: "settled", jobs: [{ jobId: jobIds[0], state: "completed" }] });
      // Both stopped: every line either wrote is on its stderr.
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
      expect(await queue.stop()).toEqual({ code: 0, signal: null });
      const logged = [...pathEvents.queue.filter((event) => queue.events(event).length > 0), ...pathEvents.worker.filter((event) => worker.events(event).length > 0)];
      expect(logged, level).toEqual(level === "info" ? [] : [...pathEvents.queue, ...pathEvents.worker]);
    }
  });

  it("on SIGTERM stops taking work, waits for the running job to report, and logs what was unfinished", async () => {
    const queue = await startQueue(["--grace-ms", "10000"]);
    const worker = await startWorker(queue.port, ["--worker-id", "finisher"]);
    await queue.waitForEvent("worker.connected", { worker: "finisher" });
    const client = await RawSocket.connect(queue.port);
    await client.hello("client");
    const { jobIds } = (await client.request({ id: 1, type: "submit", jobs: [{ durationMs: 1_500 }, { durationMs: 1_500 }, { durationMs: 1_500 }] })) as {
      jobIds: number[];
    };
    await worker.waitForEvent("job.started", { jobId: jobIds[0] });

    queue.kill("SIGTERM");
    await queue.waitForEvent("queue.stopping");
    expect(await client.request({ id: 2, type: "submit", jobs: [{}] })).toMatchObject({ code: "shutting-down" });
    const stopped = await queue.waitForEvent("queue.stopped");
    expect(await queue.exited).toEqual({ code: 0, signal: null });

    expect(queue.events("job.completed").map((e) => e.job)).toEqual([jobIds[0]]);
    expect(stopped).toMatchObject({ pending: 2, running: 0, unfinishedJobIds: [jobIds[1], jobIds[2]] });
    expect(queue.events("job.assigned").map((e) => e.job)).toEqual([jobIds[0]]);
  });
});
