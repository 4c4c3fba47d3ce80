// The queue survives its own crash with --journal: SIGKILLed with jobs in every state, restarted
// on the same directory and port, it has every acknowledged job in its state and place, workers
// keep the leases they were working under, and clients waiting on jobs get their outcomes.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, type DjqClient } from "@djq/client";
import { createLogger } from "@djq/runtime";
import { jobStatus } from "./harness/client-cli.js";
import { start, programs, startQueue, startWorker, type QueueProcess } from "./harness/processes.js";
import { freePort } from "./harness/free-port.js";
import { RawSocket } from "./harness/raw-socket.js";
import { until } from "./harness/waiting.js";

/** util-linux's prlimit, found by path so that a narrowed PATH does not hide it. */
const prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].find((path) => existsSync(path));

const clients: DjqClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// Nothing here is about noticing silence: a loaded machine must not make a worker look lost.
const calmQueue = ["--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "20000"];


async function journalDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "djq-journal-"));
  dirs.push(dir);
  return join(dir, "journal");
}

async function client(port: number): Promise<DjqClient> {
  const c = await connectClient({ port, logger: createLogger({ program: "test-client", level: "error", format: "json", write: () => {} }) });
  clients.push(c);
  return c;
}

async function killed(queue: QueueProcess): Promise<void> {
  queue.kill("SIGKILL");
  await queue.exited;
}

describe("a queue SIGKILLed with the journal on", () => {
  it("comes back with every acknowledged job in its state and order, workers keep their leases, waiting clients get results", async () => {
    const port = await freePort();
    const dir = await journalDir();
    const flags = [...calmQueue, "--port", String(port), "--journal", dir, "--journal-grace-ms", "30000"];
    const first = await startQueue(flags);
    const runId = first.events("queue.listening")[0]?.run as string;
    const worker = await startWorker(port, ["--worker-id", "keeper", "--queues", "work", "--concurrency", "2"]);
    await worker.waitForEvent("welcome", { queueRunId: runId });

    const submitter = await client(port);
    const [settledId] = await submitter.submit([{ queue: "work", durationMs: 0 }], { watch: true });
    const settledResult = (await submitter.waitFor([settledId!])).get(settledId!);
    expect(settledResult?.state).toBe("completed");
    const pending = await submitter.submit([{ payload: "p1" }, { payload: "p2", priority: 7 }, { payload: "p3" }]);
    const [delayed] = await submitter.submit([{ delayMs: 600_000 }]);
    const keyed = await submitter.submit([{ payload: "once" }], { key: "only-once" });
    const running = await submitter.submit([{ queue: "work", durationMs: 4_000 }, { queue: "work", durationMs: 4_000 }], { watch: true });
    await until(async () => (await jobStatus(port, running[1]!)).state === "running", "both long jobs running");
    const leases = await Promise.all(running.map(async (id) => (await jobStatus(port, id)).history[0]!.lease));
    const outcomes = submitter.waitFor(running);
    // A stale report (a lease the job no longer has) counts among the totals too.
    const stale = await RawSocket.connect(port);
    await stale.hello("worker", { workerId: "stale" });
    expect(await stale.request({ id: 1, type: "complete", jobs: [{ jobId: settledId, lease: 1 }] })).toMatchObject({ refused: [{ jobId: settledId }] });
    stale.close();
    const totals = (await submitter.stats()).totals;
    expect(totals).toMatchObject({ submitted: 8, completed: 1, staleRefused: 1 });

    await killed(first);
    const second = await startQueue(flags);
    expect(second.events("queue.listening")[0]?.run).toBe(runId);
    // The statistics totals carry on from where they stood (the two running jobs may complete meanwhile).
    const totalsAfter = (await submitter.stats()).totals;
    expect(totalsAfter).toEqual({ ...totals, completed: totalsAfter.completed });
    expect(totalsAfter.completed).toBeGreaterThanOrEqual(totals.completed);

    // Nothing acknowledged is lost, and nothing is made twice by a resend.
    expect(await submitter.submit([{ payload: "once" }], { key: "only-once" })).toEqual(keyed);
    // The key's body digest came back too: other jobs under it are still a conflict.
    await expect(submitter.submit([{ payload: "other" }], { key: "only-once" })).rejects.toMatchObject({ code: "key-conflict" });
    const [fresh] = await submitter.submit([{ payload: "after" }]);
    expect(fresh).toBe(running[1]! + 1);
    expect((await jobStatus(port, settledId!)).state).toBe("completed");
    expect((await jobStatus(port, delayed!)).state).toBe("delayed");
    // Pending jobs are handed out in the order they had: priority first, then first come.
    const drain = await startWorker(port, ["--worker-id", "drain", "--concurrency", "1"]);
    await until(() => second.events("job.assigned").filter((e) => e.worker === "drain").length === 5, "five pending jobs handed out");
    expect(second.events("job.assigned").filter((e) => e.worker === "drain").map((e) => e.job)).toEqual([pending[1], pending[0], pending[2], keyed[0], fresh]);
    drain.kill("SIGKILL");

    // The worker kept its two jobs under the same leases; the waiting client hears of both.
    const results = await outcomes;
    for (const [i, id] of running.entries()) {
      expect(results.get(id)?.state).toBe("completed");
      const view = await jobStatus(port, id);
      expect(view.history.map((a) => a.lease)).toEqual([leases[i]]);
    }
    expect(worker.events("queue.restarted")).toEqual([]);
  }, 60_000);

  it("requeues the jobs of a worker that does not come back within the grace window", async () => {
    const port = await freePort();
    const dir = await journalDir();
    const flags = [...calmQueue, "--port", String(port), "--journal", dir, "--journal-grace-ms", "300"];
    const first = await startQueue(flags);
    const worker = await startWorker(port, ["--worker-id", "gone", "--concurrency", "1"]);
    const c = await client(port);
    const [id] = await c.submit([{ durationMs: 60_000 }]);
    await until(async () => (await jobStatus(port, id!)).state === "running", "the job running");
    worker.kill("SIGKILL");
    await killed(first);
    const second = await startQueue(flags);
    await second.waitForEvent("job.requeued", { job: id });
    const view = await jobStatus(port, id!);
    expect(view.state).toBe("pending");
    expect(view.history[0]?.outcome).toBe("worker-lost");
  }, 60_000);

  it("refuses to start on a damaged record, naming file and offset, and starts with --journal-start-anyway", async () => {
    const port = await freePort();
    const dir = await journalDir();
    const flags = ["--port", String(port), "--journal", dir];
    const first = await startQueue(flags);
    const c = await client(port);
    await c.submit([{ payload: "a" }]);
    await c.submit([{ payload: "b" }]);
    await c.submit([{ payload: "c" }]);
    await c.close();
    clients.length = 0;
    await killed(first);
    const [segment] = (await readdir(dir)).filter((name) => name.startsWith("segment"));
    const path = join(dir, segment!);
    const bytes = await readFile(path);
    const at = bytes.indexOf('"payload":"a"');
    bytes[at + 11] = "z".charCodeAt(0);
    await writeFile(path, bytes);

    const refused = start("queue", programs.queue, [...flags, "--log-format", "json"]);
    expect((await refused.exited).code).toBe(1);
    const line = refused.logs.find((e) => e.event === "queue.start-failed");
    expect(String(line?.reason)).toContain(segment);
    expect(String(line?.reason)).toMatch(/at byte \d+/);

    const anyway = await startQueue([...flags, "--journal-start-anyway"]);
    expect(anyway.events("queue.listening")).toHaveLength(1);
  }, 60_000);

  it.skipIf(prlimit === undefined)("refuses new work with journal-unavailable once the disk refuses a write, and acknowledged nothing it did not record", async () => {
    const dir = await journalDir();
    const limited = await startQueue(["--journal", dir], {}, [prlimit as string, "--fsize=16384"]);
    const acknowledged: number[] = [];
    let refusal: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && refusal === undefined; i += 1) {
      const socket = await RawSocket.connect(limited.port);
      expect(await socket.hello("client")).toMatchObject({ type: "welcome" });
      // Each submission's record is about 1 KB: the limit is reached within 16.
      while (refusal === undefined) {
        const reply = await socket.request({ id: acknowledged.length + 1, type: "submit", jobs: [{ payload: "x".repeat(1000) }] }).catch(() => undefined);
        if (reply === undefined) break; // dropped: its reply was held for a write that failed
        if (reply.type === "submitted") acknowledged.push(...(reply.jobIds as number[]));
        else refusal = reply;
      }
      socket.close();
    }
    expect(refusal).toMatchObject({ type: "error", code: "journal-unavailable" });
    expect(acknowledged.length).toBeGreaterThan(5);
    await limited.waitForEvent("journal.unavailable");
    await killed(limited);

    const again = await startQueue(["--journal", dir]);
    const recovered = (await again.waitForEvent("journal.recovered")).pending as number;
    expect(recovered).toBeGreaterThanOrEqual(acknowledged.length);
    for (const id of acknowledged) expect((await jobStatus(again.port, id)).state).toBe("pending");
  }, 60_000);

  it("compacts while serving, so the journal follows the live jobs, and recovers the same jobs from the snapshot and its tail", async () => {
    const dir = await journalDir();
    const flags = ["--journal", dir, "--journal-compact-min-bytes", "20000", "--journal-segment-bytes", "8192"];
    const first = await startQueue(flags);
    const c = await client(first.port);
    const kept: number[] = [];
    // Jobs come and go (submitted, then cancelled): the history grows, the live state does not.
    for (let round = 0; round < 40; round += 1) {
      const ids = await c.submit(Array.from({ length: 10 }, (_, i) => ({ payload: `r${round}-${i}-${"x".repeat(100)}` })));
      for (const id of ids.slice(1)) await c.cancel(id);
      kept.push(ids[0]!);
    }
    await first.waitForEvent("journal.compacted");
    const files = await readdir(dir);
    expect(files.some((name) => name.startsWith("snapshot-"))).toBe(true);
    const totals = (await c.stats()).totals;
    expect(totals).toMatchObject({ submitted: 400, cancelled: 360 });
    await killed(first);
    const again = await startQueue(flags);
    expect((await again.waitForEvent("journal.recovered")).pending).toBe(kept.length);
    // Totals from the snapshot's header and the totals records of the tail after it.
    expect((await (await client(again.port)).stats()).totals).toEqual(totals);
    for (const id of kept.slice(-3)) expect((await jobStatus(again.port, id)).state).toBe("pending");
  }, 60_000);

  it("refuses a second queue on the same directory", async () => {
    const dir = await journalDir();
    await startQueue(["--journal", dir]);
    const second = start("queue", programs.queue, ["--port", "0", "--log-format", "json", "--journal", dir]);
    expect((await second.exited).code).toBe(1);
    expect(String(second.logs.find((e) => e.event === "queue.start-failed")?.reason)).toContain("in use by another queue process");
  }, 30_000);
});
