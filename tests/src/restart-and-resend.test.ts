// What happens around the queue rather than inside it: the queue process dies and a new one
// takes its port, or a reply is lost on the way back. Workers and clients must find their way
// back by themselves, say plainly what was lost, and never make a job twice by resending.
import { afterEach, describe, expect, it } from "vitest";
import { JobLostError, connectClient, type DjqClient } from "@djq/client";
import { createLogger } from "@djq/runtime";
import { jobStatus, queueStats, submitJob } from "./harness/client-cli.js";
import { programs, runClient, start, startQueue, startWorker } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";
import { PartitionRelay } from "./harness/relay.js";
import { freePort } from "./harness/free-port.js";
import { nthEvent, until } from "./harness/waiting.js";

const clients: DjqClient[] = [];
const relays: PartitionRelay[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

// Nothing here is about noticing silence: a loaded machine must not make a worker look lost.
const calmQueue = ["--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "20000"];


/** A client that keeps what it logs, to see what it did by itself. */
async function libraryClient(port: number, events: { event: string; [field: string]: unknown }[]): Promise<DjqClient> {
  const client = await connectClient({
    port,
    logger: createLogger({ program: "test-client", level: "debug", format: "json", write: (line) => events.push(JSON.parse(line)) }),
  });
  clients.push(client);
  return client;
}

describe("a queue restart on the same port", () => {
  it("brings workers and waiting clients back by themselves, reports the lost jobs, and runs new ones", async () => {
    const port = await freePort();
    const first = await startQueue([...calmQueue, "--port", String(port)]);
    expect(first.port).toBe(port);
    const firstRun = first.events("queue.listening")[0]?.run as string;
    const workers = await Promise.all(["again-1", "again-2"].map((id) => startWorker(port, ["--worker-id", id, "--concurrency", "2"])));
    await Promise.all(workers.map((worker) => worker.waitForEvent("welcome", { queueRunId: firstRun })));

    // A library user waiting on two jobs that will never finish on this run, and a CLI user too.
    const events: { event: string; [field: string]: unknown }[] = [];
    const client = await libraryClient(port, events);
    const lostIds = await client.submit([{ durationMs: 60_000 }, { durationMs: 60_000 }], { watch: true });
    const waiting = client.waitFor(lostIds).then(
      () => undefined,
      (error: unknown) => error,
    );
    const cli = start("client", programs.client, ["submit", "--port", String(port), "--duration", "60000", "--wait"]);
    // Killed only once the CLI holds its job id: a submit cut off before its reply is resent to the
    // new queue, which is a different story.
    await until(() => cli.stdout.includes("submitted 1 job"), "the CLI to confirm its submission");
    await first.waitForLog((e) => e.event === "job.assigned" && first.events("job.assigned").length >= 3, 10_000, "three jobs running");

    first.kill("SIGKILL");
    await first.exited;
    const second = await startQueue([...calmQueue, "--port", String(port)]);
    const secondRun = second.events("queue.listening")[0]?.run as string;
    expect(secondRun).not.toBe(firstRun);

    // The workers find the new queue with no one's help.
    for (const worker of workers) {
      await worker.waitForEvent("disconnected");
      await worker.waitForEvent("reconnecting");
      const welcome = await nthEvent(worker, "welcome", 2);
      expect(welcome.queueRunId).toBe(secondRun);
      await worker.waitForEvent("queue.restarted", { queueRunId: secondRun });
    }

    // The library says the old run's jobs are lost instead of waiting forever.
    const error = await waiting;
    expect(error).toBeInstanceOf(JobLostError);
    expect(lostIds).toContain((error as JobLostError).jobId);
    expect((error as Error).message).toMatch(/restarted/);
    expect(events.map((e) => e.event)).toContain("queue-restarted");
    expect(client.queueRunId).toBe(secondRun);

    // So does the CLI, with a non-zero exit.
    const cliExit = await Promise.race([cli.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000))]);
    expect(cliExit).toMatchObject({ code: 1 });
    expect(cli.stderr).toMatch(/lost/);

    // New work runs on the new queue, and the same client keeps working.
    const run = await runClient(port, ["submit", "--count", "4", "--duration", "10", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const [newId] = await client.submit({ durationMs: 10 }, { watch: true });
    const settled = await client.waitFor(newId as number);
    expect(settled.get(newId as number)).toMatchObject({ state: "completed" });
    const stats = await queueStats(port);
    expect(stats.queueRunId).toBe(secondRun);
    expect(stats.totals).toMatchObject({ submitted: 5, completed: 5 });
    expect(stats.workers.map((w) => w.workerId).sort()).toEqual(["again-1", "again-2"]);
  });
});

describe("work left over from before a queue restart", () => {
  it("is not reported to the new queue, whose job ids start over, and whose leases start above every lease of the old run", async () => {
    const port = await freePort();
    const first = await startQueue([...calmQueue, "--port", String(port)]);
    const worker = await startWorker(port, ["--worker-id", "survivor", "--concurrency", "2"]);
    await worker.waitForEvent("welcome");
    // Long enough that its first progress report (at 25%) comes after the new job is assigned.
    const oldJobId = await submitJob(port, ["--duration", "6000"]);
    const oldStart = await worker.waitForEvent("job.started", { jobId: oldJobId });

    first.kill("SIGKILL");
    await first.exited;
    const second = await startQueue([...calmQueue, "--port", String(port)]);
    const submitter = await RawSocket.connect(port);
    await submitter.hello("client");
    const submitted = await submitter.request({ id: 1, type: "submit", jobs: [{ durationMs: 7000 }] });
    submitter.close();
    const newJobId = (submitted.jobIds as number[])[0] as number;
    // The new run's first job gets the same id as the old run's, but a lease from the new run's
    // floor (1,024 per millisecond of its start), which no lease of the old run can equal.
    const assigned = await second.waitForEvent("job.assigned", { job: newJobId });
    expect(assigned.worker).toBe("survivor");
    expect(newJobId).toBe(oldJobId);
    expect(assigned.lease as number).toBeGreaterThan(oldStart.lease as number);

    // The worker gives the old attempt up as soon as it sees the queue has restarted.
    const abandoned = await worker.waitForEvent("job.abandoned", { jobId: oldJobId, lease: oldStart.lease });
    expect(abandoned.reason).toMatch(/restarted/);
    const completed = await second.waitForEvent("job.completed", { job: newJobId }, 15_000);
    expect(completed.lease).toBe(assigned.lease);
    // Its result is its own seven-second run, not the old job's six seconds.
    const job = await jobStatus(port, newJobId);
    expect((job.result as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(7000);
    expect(second.events("job.completed")).toHaveLength(1);
    expect(second.events("report.refused")).toEqual([]);
    expect(worker.events("job.completed")).toHaveLength(1);
  });
});

describe("a submit whose confirmation is lost", () => {
  it("is resent by the library with the same key and yields the same job ids, and the queue holds one copy", async () => {
    const queue = await startQueue(calmQueue);
    const relay = await PartitionRelay.start(queue.port);
    relays.push(relay);
    const events: { event: string; [field: string]: unknown }[] = [];
    const client = await libraryClient(relay.port, events);

    // The queue takes the submission, but its `submitted` reply never reaches the client.
    const cut = relay.cutBefore((line) => line.includes('"type":"submitted"'));
    const batch = Array.from({ length: 25 }, (_, i) => ({ durationMs: 10, payload: { n: i } }));
    const jobIds = await client.submit(batch);
    await cut;

    expect(jobIds).toHaveLength(25);
    expect(events.filter((e) => e.event === "request-resend").map((e) => e.type)).toEqual(["submit"]);
    expect(events.map((e) => e.event)).toContain("reconnected");
    // The first submission did create the jobs, with these very ids.
    const created = queue.events("jobs.submitted");
    expect(created[0]).toMatchObject({ count: 25, first: jobIds[0], last: jobIds[24] });

    const stats = await queueStats(queue.port);
    expect(stats.totals.submitted).toBe(25);
    expect(stats.counts.pending).toBe(25);
    // And each id holds the job it was given in order.
    for (const i of [0, 24]) expect((await client.status(jobIds[i] as number)).payload).toEqual({ n: i });

    // A worker runs each of them once.
    const worker = await startWorker(queue.port, ["--worker-id", "once", "--concurrency", "8"]);
    const settled = await client.waitFor(jobIds);
    expect([...settled.values()].every((job) => job.state === "completed")).toBe(true);
    expect(worker.events("job.started")).toHaveLength(25);
    expect((await queueStats(queue.port)).totals).toMatchObject({ submitted: 25, completed: 25 });
  });

  it("makes nothing new when the CLI is run again with the same --key", async () => {
    const queue = await startQueue(calmQueue);
    const first = await runClient(queue.port, ["submit", "--count", "3", "--key", "order-42", "--json"]);
    const again = await runClient(queue.port, ["submit", "--count", "3", "--key", "order-42", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
    expect((await queueStats(queue.port)).totals.submitted).toBe(3);
    expect(await submitJob(queue.port)).toBe(4);
  });
});
