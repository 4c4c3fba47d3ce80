// Failure handling with real processes that really die: workers killed, frozen and cut off from
// the queue, jobs that time out, fail, or kill whoever runs them, and cancellations from the CLI.
// In every case each job ends in one definite state, and a late report cannot overwrite it.
import { afterEach, describe, expect, it } from "vitest";
import { retryDelayMs } from "@djq/core";
import { cliJson, jobStatus, queueStats, submitJob } from "./harness/client-cli.js";
import { runClient, startQueue, startWorker, type LogEvent, type Program } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";
import { PartitionRelay } from "./harness/relay.js";
import { nthEvent, sleep, until } from "./harness/waiting.js";

const relays: PartitionRelay[] = [];
const sockets: RawSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

// Tests not about noticing silence use a heartbeat timeout no loaded machine can trip.
const calmHeartbeats = ["--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "20000"];

async function worker(port: number, workerId: string, extra: string[] = []): Promise<Program> {
  const program = await startWorker(port, ["--worker-id", workerId, ...extra]);
  await program.waitForEvent("welcome");
  return program;
}

const atMs = (event: LogEvent): number => Date.parse(event.at as string);

/** Polls `status` over one client connection until the job has reported `percent` progress. */
async function waitForProgress(port: number, jobId: number, percent: number): Promise<void> {
  const client = await RawSocket.connect(port);
  sockets.push(client);
  await client.hello("client");
  let id = 0;
  await until(async () => {
    const reply = (await client.request({ id: ++id, type: "status", jobId })) as { job?: { progress?: { percent: number } } };
    return (reply.job?.progress?.percent ?? 0) >= percent;
  }, `job ${jobId} to report ${percent}% progress`);
}

describe("a worker that crashes mid-job", () => {
  it("gets its job back at once and has it completed exactly once by the other worker", async () => {
    const queue = await startQueue(calmHeartbeats);
    const workers = new Map([
      ["crash-a", await worker(queue.port, "crash-a")],
      ["crash-b", await worker(queue.port, "crash-b")],
    ]);
    const jobId = await submitJob(queue.port, ["--duration", "2000"]);
    const first = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 1 });
    const victimId = first.worker as string;
    const survivorId = victimId === "crash-a" ? "crash-b" : "crash-a";
    const victim = workers.get(victimId) as Program;
    await victim.waitForEvent("job.started", { jobId });

    const killedAt = Date.now();
    victim.kill("SIGKILL");
    const second = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 2 });
    console.log(`kill -> reassignment: ${atMs(second) - killedAt} ms`);
    expect(second.worker).toBe(survivorId);
    // Its connection closed: no heartbeat timeout was needed to notice.
    await queue.waitForEvent("worker.disconnected", { worker: victimId });
    expect(queue.events("worker.lost")).toEqual([]);

    await queue.waitForEvent("job.completed", { job: jobId, worker: survivorId });
    expect(await victim.exited).toMatchObject({ signal: "SIGKILL" });
    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "completed", attempts: 2, result: { workerId: survivorId } });
    expect(job.history.map((h) => [h.workerId, h.outcome])).toEqual([
      [victimId, "worker-lost"],
      [survivorId, "completed"],
    ]);
    expect(queue.events("job.completed").filter((e) => e.job === jobId)).toHaveLength(1);
  });
});

describe("a frozen worker (SIGSTOP)", () => {
  it("is noticed by its missed heartbeats, loses its job to another worker, and has its late completion refused after SIGCONT", async () => {
    const timeoutMs = 800;
    const queue = await startQueue(["--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", String(timeoutMs)]);
    const workers = new Map([
      ["frozen-a", await worker(queue.port, "frozen-a")],
      ["frozen-b", await worker(queue.port, "frozen-b")],
    ]);
    const jobId = await submitJob(queue.port, ["--duration", "1500"]);
    const first = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 1 });
    const frozenId = first.worker as string;
    const otherId = frozenId === "frozen-a" ? "frozen-b" : "frozen-a";
    const frozen = workers.get(frozenId) as Program;
    const other = workers.get(otherId) as Program;
    await frozen.waitForEvent("job.started", { jobId });

    const stoppedAt = Date.now();
    frozen.kill("SIGSTOP");
    const lost = await queue.waitForEvent("worker.lost", { worker: frozenId });
    const second = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 2 });
    console.log(`freeze -> lost: ${atMs(lost) - stoppedAt} ms, freeze -> reassignment: ${atMs(second) - stoppedAt} ms (timeout ${timeoutMs} ms)`);
    expect(second.worker).toBe(otherId);
    // It was the silence that gave it away, not a closed connection.
    expect(queue.events("worker.lost").map((e) => e.worker)).toEqual([frozenId]);
    expect(queue.events("worker.disconnected")).toEqual([]);
    const recent = (await queueStats(queue.port)).recent.find((e) => e.kind === "worker-lost" && e.workerId === frozenId);
    const silentMs = Number(/no heartbeat for (\d+) ms/.exec(recent?.reason ?? "")?.[1]);
    expect(silentMs).toBeGreaterThanOrEqual(timeoutMs);

    await queue.waitForEvent("job.completed", { job: jobId, worker: otherId });
    frozen.kill("SIGCONT");
    // The thawed worker finishes its copy of the job, reports it on a new session, and is told
    // that lease is no longer its own.
    const refused = await frozen.waitForEvent("report.refused", { jobId, code: "stale-lease" });
    expect(refused.report).toBe("complete");
    await queue.waitForEvent("report.refused", { job: jobId, worker: frozenId, code: "stale-lease" });

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "completed", attempts: 2, result: { workerId: otherId } });
    expect(job.history.map((h) => [h.workerId, h.outcome])).toEqual([
      [frozenId, "worker-lost"],
      [otherId, "completed"],
    ]);
    expect(queue.events("job.completed").filter((e) => e.job === jobId)).toHaveLength(1);
    expect((await queueStats(queue.port)).totals.staleRefused).toBe(1);

    // It carries on: back on the queue, it takes and completes new work.
    await nthEvent(frozen, "welcome", 2);
    await other.stop();
    const nextJobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: nextJobId, worker: frozenId });
    expect(frozen.child.exitCode).toBeNull();
    expect(frozen.events("fatal")).toEqual([]);
  });
});

describe("a network partition between a worker and the queue", () => {
  it("is detected by heartbeats, the job goes to a worker that can still be reached, and the cut-off worker's completion is refused after the heal", async () => {
    const queue = await startQueue(["--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "1000"]);
    const relay = await PartitionRelay.start(queue.port);
    relays.push(relay);
    const remote = await worker(relay.port, "remote");
    const jobId = await submitJob(queue.port, ["--duration", "2000"]);
    await remote.waitForEvent("job.started", { jobId });
    const near = await worker(queue.port, "near");
    // Cut after the job's last progress report (at 75%): from then on the job sends nothing until
    // its completion, which the partition swallows.
    await waitForProgress(queue.port, jobId, 75);

    const partitionedAt = Date.now();
    relay.partition();
    const lost = await queue.waitForEvent("worker.lost", { worker: "remote" });
    const second = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 2 });
    console.log(`partition -> lost: ${atMs(lost) - partitionedAt} ms, -> reassignment: ${atMs(second) - partitionedAt} ms`);
    expect(second.worker).toBe("near");
    // The worker gives up on the silent queue by itself and tries again with backoff.
    const gaveUp = await remote.waitForEvent("disconnected");
    expect(gaveUp.reason).toMatch(/silent/);
    await remote.waitForEvent("reconnecting");
    await remote.waitForEvent("job.completed", { jobId });

    relay.heal();
    await nthEvent(remote, "welcome", 2);
    const refused = await remote.waitForEvent("report.refused", { jobId, code: "stale-lease" });
    expect(refused.report).toBe("complete");
    await queue.waitForEvent("report.refused", { job: jobId, worker: "remote", code: "stale-lease" });
    await queue.waitForEvent("job.completed", { job: jobId, worker: "near" });
    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "completed", attempts: 2, result: { workerId: "near" } });
    expect(job.history.map((h) => [h.workerId, h.outcome])).toEqual([
      ["remote", "worker-lost"],
      ["near", "completed"],
    ]);
    expect(queue.events("job.completed").filter((e) => e.job === jobId)).toHaveLength(1);
    await near.stop();
  });

  it("lets a worker whose link came back before the queue's timeout keep its lease and complete the job", async () => {
    // The worker gives up on a silent queue at half the queue's timeout (1500 ms) and reconnects
    // holding its lease; the partition heals at 2000 ms, well before the queue's 3000 ms.
    const queue = await startQueue(["--heartbeat-interval-ms", "100", "--heartbeat-timeout-ms", "3000"]);
    const relay = await PartitionRelay.start(queue.port);
    relays.push(relay);
    const remote = await worker(relay.port, "hiccup");
    const jobId = await submitJob(queue.port, ["--duration", "3000"]);
    await remote.waitForEvent("job.started", { jobId });
    // Were the lease revoked, the job would go to this worker.
    await worker(queue.port, "bystander");

    const partitionedAt = Date.now();
    relay.partition();
    const gaveUp = await remote.waitForEvent("disconnected");
    expect(gaveUp.reason).toMatch(/silent/);
    await sleep(partitionedAt + 2000 - Date.now());
    relay.heal();

    const resumed = await queue.waitForLog((e) => e.event === "worker.connected" && e.worker === "hiccup" && e.resumed === true, 10_000, "the worker resuming");
    expect(resumed.holding).toBe(1);
    const completed = await queue.waitForEvent("job.completed", { job: jobId }, 10_000);
    expect(completed.worker).toBe("hiccup");
    expect(queue.events("worker.lost")).toEqual([]);
    expect(queue.events("job.requeued")).toEqual([]);
    expect(remote.events("report.refused")).toEqual([]);
    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "completed", attempts: 1, result: { workerId: "hiccup" } });
    expect(job.history.map((h) => [h.workerId, h.outcome])).toEqual([["hiccup", "completed"]]);
  });
});

describe("the run timeout", () => {
  it("takes the job back from a live worker that overruns it, tells the worker to abandon it, and fails it once the attempts are spent", async () => {
    const queue = await startQueue(calmHeartbeats);
    const slow = await worker(queue.port, "slow");
    const jobId = await submitJob(queue.port, ["--duration", "5000", "--timeout", "400", "--max-attempts", "2"]);

    await queue.waitForEvent("job.abandon-sent", { job: jobId, worker: "slow", reason: "timed-out" });
    await slow.waitForEvent("job.abandoned", { jobId, reason: "timed-out" });
    const second = await queue.waitForEvent("job.assigned", { job: jobId, attempt: 2 });
    expect(second.worker).toBe("slow");
    await queue.waitForEvent("job.failed", { job: jobId });

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "failed", attempts: 2, error: expect.stringContaining("timed out after 400 ms") });
    expect(job.history.map((h) => h.outcome)).toEqual(["timed-out", "timed-out"]);
    // The worker reported neither abandoned attempt, and is still there to take work.
    expect(slow.events("job.completed")).toEqual([]);
    expect(queue.events("report.refused")).toEqual([]);
    const nextJobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: nextJobId, worker: "slow" });
  });
});

describe("jobs that fail", () => {
  it("retries a failing job with backoff until it completes", async () => {
    const baseMs = 50;
    const queue = await startQueue([...calmHeartbeats, "--retry-base-ms", String(baseMs), "--retry-max-ms", "1000"]);
    await worker(queue.port, "retrier");
    const jobId = await submitJob(queue.port, ["--duration", "10", "--payload", '{"failTimes":2}', "--max-attempts", "5"]);
    await queue.waitForEvent("job.completed", { job: jobId });

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "completed", attempts: 3 });
    expect(job.history.map((h) => [h.attempt, h.outcome])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "completed"],
    ]);
    expect(job.history[0]?.error).toBe("simulated failure 1 of 2");
    const gaps = [1, 2].map((n) => (job.history[n]?.startedAt as number) - (job.history[n - 1]?.endedAt as number));
    console.log(`backoff gaps: ${gaps.join(", ")} ms`);
    // Each retry waited at least its backoff (exponential, jitter in [ceiling/2, ceiling]).
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(retryDelayMs({ baseMs, maxMs: 1000 }, jobId, i + 1)));
    expect(queue.events("job.attempt-failed").filter((e) => e.job === jobId)).toHaveLength(2);
  });

  it("fails a job for good after its attempts, lists it as failed, and runs it again on `retry`", async () => {
    const queue = await startQueue([...calmHeartbeats, "--retry-base-ms", "20", "--retry-max-ms", "100"]);
    await worker(queue.port, "failer");
    const jobId = await submitJob(queue.port, ["--duration", "10", "--payload", '{"fail":"disk on fire"}', "--max-attempts", "3"]);
    await queue.waitForEvent("job.failed", { job: jobId });

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "failed", attempts: 3, error: "disk on fire" });
    expect(job.history.map((h) => h.outcome)).toEqual(["failed", "failed", "failed"]);
    const failed = await cliJson<{ jobs: { jobId: number; error?: string }[] }>(queue.port, ["list", "--state", "failed"]);
    expect(failed.jobs).toEqual([expect.objectContaining({ jobId, error: "disk on fire" })]);
    const listed = await runClient(queue.port, ["list", "--state", "failed"]);
    expect(listed.stdout).toMatch(new RegExp(`^${jobId}\\s+failed\\s+default\\s+sleep\\s+3/3\\s+disk on fire$`, "m"));

    const retried = await runClient(queue.port, ["retry", String(jobId)]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`retried job ${jobId}`);
    // Its attempts start over: it runs three more times and fails again, as this payload says.
    await nthEvent(queue, "job.failed", 2);
    const assigned = queue.events("job.assigned").filter((e) => e.job === jobId);
    expect(assigned.map((e) => e.attempt)).toEqual([1, 2, 3, 1, 2, 3]);
    const again = await jobStatus(queue.port, jobId);
    expect(again).toMatchObject({ state: "failed", attempts: 3, error: "disk on fire" });
    expect(again.history).toHaveLength(6);
    expect((await queueStats(queue.port)).totals).toMatchObject({ retried: 1, failed: 2 });

    const notFailed = await runClient(queue.port, ["retry", String(await submitJob(queue.port, ["--duration", "10000"]))]);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toContain("invalid-state");
  });

  it("stops a poison job that kills every worker it touches after its attempts, instead of looping", async () => {
    const queue = await startQueue(calmHeartbeats);
    const ids = ["poisoned-1", "poisoned-2", "poisoned-3"];
    const workers = await Promise.all(ids.map((id) => worker(queue.port, id)));
    const jobId = await submitJob(queue.port, ["--duration", "100", "--payload", '{"crash":true}', "--max-attempts", "3"]);

    const dead = await queue.waitForEvent("job.failed", { job: jobId }, 20_000);
    expect(dead.attempts).toBe(3);
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits).toEqual(ids.map(() => ({ code: 1, signal: null })));

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "failed", attempts: 3, error: expect.stringMatching(/lost/) });
    expect(job.history.map((h) => h.outcome)).toEqual(["worker-lost", "worker-lost", "worker-lost"]);
    expect(new Set(job.history.map((h) => h.workerId))).toEqual(new Set(ids));
    expect(queue.events("job.assigned").filter((e) => e.job === jobId)).toHaveLength(3);

    // A healthy worker arriving later is not handed the poison again.
    const healthy = await worker(queue.port, "healthy");
    const nextJobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: nextJobId, worker: "healthy" });
    expect(healthy.events("job.started").map((e) => e.jobId)).toEqual([nextJobId]);
  });
});

describe("workers that go away without a job", () => {
  it("hands a new job to a live worker, not to a worker killed while idle or one that closed right after fetching", async () => {
    const queue = await startQueue(calmHeartbeats);
    // Both dead ones are ahead of the live worker in line for the next job.
    const ghost = await RawSocket.connect(queue.port);
    sockets.push(ghost);
    expect(await ghost.hello("worker", { workerId: "ghost" })).toMatchObject({ type: "welcome" });
    ghost.send({ id: 1, type: "fetch", max: 5 });
    ghost.close();
    await queue.waitForEvent("worker.disconnected", { worker: "ghost" });

    const idle = await worker(queue.port, "idle");
    // Killed only once its fetch is waiting at the queue.
    await until(async () => (await queueStats(queue.port)).workers.some((w) => w.workerId === "idle" && w.waiting), "the idle worker's fetch");
    idle.kill("SIGKILL");
    await queue.waitForEvent("worker.disconnected", { worker: "idle" });

    const live = await worker(queue.port, "live");
    const jobIds = await cliJson<number[]>(queue.port, ["submit", "--count", "3", "--duration", "10"]);
    for (const jobId of jobIds) await queue.waitForEvent("job.completed", { job: jobId, worker: "live" });
    expect(queue.events("job.assigned").map((e) => [e.worker, e.attempt])).toEqual(jobIds.map(() => ["live", 1]));
    expect(live.events("job.completed")).toHaveLength(3);

    const stats = await queueStats(queue.port);
    expect(stats.workers.map((w) => w.workerId)).toEqual(["live"]);
    expect(stats.counts).toMatchObject({ pending: 0, running: 0, completed: 3 });
    expect(stats.totals.reassigned).toBe(0);
  });

  it("does not hand a job to a worker that sent hello and fetch and hung up without waiting for anything", async () => {
    const queue = await startQueue(calmHeartbeats);
    const hasty = await RawSocket.connect(queue.port);
    sockets.push(hasty);
    hasty.write(
      `${JSON.stringify({ id: 1, type: "hello", role: "worker", version: 1, workerId: "hasty" })}\n${JSON.stringify({ id: 2, type: "fetch", max: 1 })}\n`,
    );
    hasty.socket.end();
    await queue.waitForEvent("worker.disconnected", { worker: "hasty" });
    await worker(queue.port, "steady");
    const jobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: jobId, worker: "steady" });
    expect(queue.events("job.assigned").filter((e) => e.job === jobId).map((e) => e.worker)).toEqual(["steady"]);
  });
});

describe("cancelling from the CLI", () => {
  it("cancels a pending job, which is never handed to a worker that arrives later", async () => {
    const queue = await startQueue(calmHeartbeats);
    const jobId = await submitJob(queue.port, ["--duration", "10"]);
    const cancelled = await runClient(queue.port, ["cancel", String(jobId)]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`cancelled job ${jobId}`);

    await worker(queue.port, "latecomer");
    // A job submitted after it is done before we look: the queue had its chance to misassign.
    const marker = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: marker });
    expect(queue.events("job.assigned").map((e) => e.job)).toEqual([marker]);
    expect(await jobStatus(queue.port, jobId)).toMatchObject({ state: "cancelled", attempts: 0, history: [] });
  });

  it("cancels a running job: its worker abandons it, and it ends cancelled", async () => {
    const queue = await startQueue(calmHeartbeats);
    const busy = await worker(queue.port, "busy");
    const jobId = await submitJob(queue.port, ["--duration", "10000"]);
    await busy.waitForEvent("job.started", { jobId });

    const cancelled = await runClient(queue.port, ["cancel", String(jobId), "--json"]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toEqual({ ok: true, jobId });
    await queue.waitForEvent("job.abandon-sent", { job: jobId, worker: "busy", reason: "cancelled" });
    await busy.waitForEvent("job.abandoned", { jobId, reason: "cancelled" });

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ state: "cancelled", attempts: 1 });
    expect(job.history.map((h) => h.outcome)).toEqual(["cancelled"]);
    // The slot is free again at once, not after the abandoned job's ten seconds.
    const nextJobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: nextJobId, worker: "busy" }, 5_000);
    expect(queue.events("job.completed").map((e) => e.job)).toEqual([nextJobId]);
  });

  it("refuses to cancel a completed job with invalid-state and a non-zero exit", async () => {
    const queue = await startQueue(calmHeartbeats);
    await worker(queue.port, "finisher");
    const jobId = await submitJob(queue.port, ["--duration", "10"]);
    await queue.waitForEvent("job.completed", { job: jobId });

    const refused = await runClient(queue.port, ["cancel", String(jobId)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("invalid-state");
    expect(refused.stderr).toMatch(/^error: /);
    expect(await jobStatus(queue.port, jobId)).toMatchObject({ state: "completed" });
  });
});
