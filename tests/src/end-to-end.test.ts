// The whole system as a user runs it: the real queue, three real workers and several client
// processes submitting at once over TCP. Every job must run and complete exactly once, and the
// CLI must tell the user what happened to each.
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { cliJson, jobStatus, queueStats } from "./harness/client-cli.js";
import { programs, runClient, start, startQueue, startWorker, type Program } from "./harness/processes.js";

// Nothing here is about failure detection: timeouts generous enough that a loaded CI machine
// cannot make a healthy worker look lost.
const calmQueue = ["--heartbeat-interval-ms", "500", "--heartbeat-timeout-ms", "20000"];

const CLIENTS = 4;
const JOBS_PER_CLIENT = 75;
const TOTAL = CLIENTS * JOBS_PER_CLIENT;

async function startWorkers(port: number, ids: string[]): Promise<Program[]> {
  const workers = await Promise.all(ids.map((id) => startWorker(port, ["--worker-id", id, "--concurrency", "4"])));
  await Promise.all(workers.map((worker) => worker.waitForEvent("welcome")));
  return workers;
}

/** How many times each value occurs. */
function tally<T>(values: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

describe("many jobs from several clients at once", () => {
  it("runs and completes every job exactly once across three workers, and every waiting client exits 0", async () => {
    const queue = await startQueue(calmQueue);
    const workerIds = ["w-1", "w-2", "w-3"];
    const workers = await startWorkers(queue.port, workerIds);

    const startedAt = Date.now();
    const runs = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        runClient(queue.port, ["submit", "--count", String(JOBS_PER_CLIENT), "--duration", "5", "--wait", "--json"], { timeoutMs: 45_000 }),
      ),
    );
    console.log(`${TOTAL} jobs from ${CLIENTS} clients through 3 workers: ${Date.now() - startedAt} ms`);

    const submittedIds: number[] = [];
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      const settled = JSON.parse(run.stdout) as { jobId: number; state: string; result?: { workerId: string } }[];
      expect(settled).toHaveLength(JOBS_PER_CLIENT);
      for (const job of settled) {
        expect(job.state).toBe("completed");
        expect(workerIds).toContain(job.result?.workerId);
        submittedIds.push(job.jobId);
      }
    }
    // No two clients were given the same job id.
    expect(new Set(submittedIds).size).toBe(TOTAL);

    // The queue accepted one completion per job, and no job was handed out twice.
    const completed = tally(queue.events("job.completed").map((e) => e.job as number));
    expect([...completed.keys()].sort((a, b) => a - b)).toEqual([...submittedIds].sort((a, b) => a - b));
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    const assigned = tally(queue.events("job.assigned").map((e) => e.job as number));
    expect(assigned.size).toBe(TOTAL);
    expect([...assigned.values()].every((n) => n === 1)).toBe(true);
    expect(queue.events("report.refused")).toEqual([]);

    // Each job ran on exactly one worker, and all three took a share.
    const ranOn = workers.map((worker) => worker.events("job.completed").map((e) => e.jobId as number));
    console.log(`jobs per worker: ${ranOn.map((ids, i) => `${workerIds[i]}=${ids.length}`).join(" ")}`);
    expect(tally(ranOn.flat()).size).toBe(TOTAL);
    expect(ranOn.flat()).toHaveLength(TOTAL);
    for (const ids of ranOn) expect(ids.length).toBeGreaterThan(0);

    const stats = await queueStats(queue.port);
    expect(stats.counts).toEqual({ delayed: 0, pending: 0, running: 0, completed: TOTAL, failed: 0, cancelled: 0 });
    expect(stats.totals).toMatchObject({ submitted: TOTAL, completed: TOTAL, failed: 0, reassigned: 0, staleRefused: 0 });
    expect(stats.workers.map((w) => w.workerId).sort()).toEqual(workerIds);
  });
});

describe("looking at jobs", () => {
  it("shows a completed job's worker, attempt and result with `status`, and the counts with `stats`", async () => {
    const queue = await startQueue(calmQueue);
    await startWorkers(queue.port, ["looker"]);
    const run = await runClient(queue.port, ["submit", "--count", "3", "--duration", "20", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const [first] = JSON.parse(run.stdout) as { jobId: number }[];
    const jobId = (first as { jobId: number }).jobId;

    const job = await jobStatus(queue.port, jobId);
    expect(job).toMatchObject({ jobId, state: "completed", attempts: 1, result: { workerId: "looker" } });
    expect(job.history).toEqual([expect.objectContaining({ attempt: 1, workerId: "looker", outcome: "completed" })]);
    const attempt = job.history[0] as { startedAt: number; endedAt?: number };
    expect(attempt.endedAt).toBeGreaterThanOrEqual(attempt.startedAt);

    // The text a person reads says the same.
    const text = await runClient(queue.port, ["status", String(jobId)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`job ${jobId}`);
    expect(text.stdout).toMatch(/state\s+completed/);
    expect(text.stdout).toMatch(/worker\s+looker/);
    expect(text.stdout).toMatch(/#1 worker looker .* completed/);

    const stats = await runClient(queue.port, ["stats"]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toContain("completed 3");
    expect(stats.stdout).toContain("pending 0");
    expect(stats.stdout).toContain("1 connected");
    const statsJson = await cliJson<{ counts: Record<string, number> }>(queue.port, ["stats"]);
    expect(statsJson.counts.completed).toBe(3);

    const unknown = await runClient(queue.port, ["status", "9999"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown-job");
  });

  it("ends quietly with status 0 when what reads its output goes away, as in `djq watch | head -1`", async () => {
    const queue = await startQueue(calmQueue);
    const watch = start("client", programs.client, ["watch", "--port", String(queue.port), "--interval-ms", "100"]);
    const stdout = watch.child.stdout as Readable;
    await new Promise((resolve) => stdout.once("data", resolve));
    stdout.destroy(); // the reader's end of the pipe closes, as when `head` has its line and exits
    expect(await watch.exited).toEqual({ code: 0, signal: null });
    expect(watch.stderr).toBe("");
  });
});
