// What job-queue users expect beyond FIFO — named queues, delays, priorities, progress,
// pause/resume and paging — driven the way an operator would: every request goes through the
// `djq` command line against the real queue, with real `djq-worker` processes running the
// built-in sleep handler.
import type { JobView } from "@djq/protocol";
import { describe, expect, it } from "vitest";
import { cliJson, jobStatus as status, queueStats as stats, submitJobs } from "./harness/client-cli.js";
import { runClient, startQueue, startWorker, type Program } from "./harness/processes.js";
import { until } from "./harness/waiting.js";

/** Runs one `djq` command for its text output; any exit but 0 fails the test. */
async function djq(port: number, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runClient(port, args);
  if (code !== 0) throw new Error(`djq ${args.join(" ")} exited ${code}: ${stderr}`);
  return stdout;
}

const djqJson = <T>(port: number, ...args: string[]) => cliJson<T>(port, args);
const submit = (port: number, ...args: string[]) => submitJobs(port, args);
type Page = { jobs: JobView[]; next?: number };

/** The real worker program; resolves once the queue has welcomed it. */
async function worker(port: number, workerId: string, ...args: string[]): Promise<Program> {
  const program = await startWorker(port, ["--worker-id", workerId, ...args]);
  await program.waitForEvent("welcome");
  return program;
}

/**
 * Resolves once the queue shows the worker idle and waiting for work: it asked for more and the
 * queue handed it nothing, though jobs it does not serve (or in a paused queue) are pending.
 */
async function waitingIdle(port: number, workerId: string): Promise<void> {
  await until(async () => {
    const worker = (await stats(port)).workers.find((w) => w.workerId === workerId);
    return worker !== undefined && worker.waiting && worker.running.length === 0;
  }, `worker ${workerId} to wait with nothing running`);
}

/** Resolves once the worker has logged `event` for every one of the jobs. */
async function each(program: Program, event: string, jobIds: number[], timeoutMs = 15_000): Promise<void> {
  for (const jobId of jobIds) await program.waitForEvent(event, { jobId }, timeoutMs);
}

const startedJobs = (program: Program) => program.events("job.started").map((e) => e.jobId as number);

describe("named queues", () => {
  it("a worker serving two queues takes from them in turn", async () => {
    const queue = await startQueue();
    const a = await submit(queue.port, "--queue", "a", "--count", "3", "--duration", "20");
    const b = await submit(queue.port, "--queue", "b", "--count", "3", "--duration", "20");
    const both = await worker(queue.port, "w-ab", "--queues", "a,b");
    await each(both, "job.completed", [...a, ...b]);
    expect(both.events("job.started").map((e) => e.queue)).toEqual(["a", "b", "a", "b", "a", "b"]);
    expect(startedJobs(both)).toEqual([a[0], b[0], a[1], b[1], a[2], b[2]]);
  });

  it("a worker serving only b never takes a's jobs, and stats count each queue apart", async () => {
    const queue = await startQueue();
    const a = await submit(queue.port, "--queue", "a", "--count", "2", "--duration", "20");
    const b = await submit(queue.port, "--queue", "b", "--count", "2", "--duration", "20");
    const onlyB = await worker(queue.port, "w-b", "--queues", "b");
    await each(onlyB, "job.completed", b);
    await waitingIdle(queue.port, "w-b");
    expect(startedJobs(onlyB)).toEqual(b);

    const snapshot = await stats(queue.port);
    expect(snapshot.queues.a).toMatchObject({ paused: false, counts: { pending: 2, running: 0, completed: 0 } });
    expect(snapshot.queues.b).toMatchObject({ paused: false, counts: { pending: 0, running: 0, completed: 2 } });
    expect(snapshot.workers).toMatchObject([{ workerId: "w-b", queues: ["b"] }]);
    const text = await djq(queue.port, "stats");
    expect(text).toMatch(/^ {2}a {2}delayed 0 {2}pending 2 {2}running 0 {2}completed 0/m);
    expect(text).toMatch(/^ {2}b {2}delayed 0 {2}pending 0 {2}running 0 {2}completed 2/m);
    expect((await status(queue.port, a[0]!)).state).toBe("pending");
  });
});

describe("delayed jobs", () => {
  it("does not start a job before its delay, and starts delayed jobs in the order they fall due", async () => {
    const queue = await startQueue();
    const sleeper = await worker(queue.port, "w-1", "--concurrency", "2");
    const [later] = await submit(queue.port, "--delay", "4000", "--duration", "0");
    const [sooner] = await submit(queue.port, "--delay", "1000", "--duration", "0");
    const waiting = await status(queue.port, later!);
    expect(waiting).toMatchObject({ state: "delayed", runAt: waiting.submittedAt + 4000, history: [] });

    await each(sleeper, "job.completed", [sooner!, later!]);
    expect(startedJobs(sleeper)).toEqual([sooner, later]);
    for (const [jobId, delayMs] of [[sooner!, 1000], [later!, 4000]] as const) {
      const job = await status(queue.port, jobId);
      expect(job.state).toBe("completed");
      expect(job.history[0]!.startedAt - job.submittedAt).toBeGreaterThanOrEqual(delayMs);
    }
  });

  it("lists delayed jobs oldest first, each with the time it falls due", async () => {
    const queue = await startQueue();
    const [inAnHour] = await submit(queue.port, "--delay", "3600000");
    const [inAMinute] = await submit(queue.port, "--delay", "60000");
    const due = await djqJson<Page>(queue.port, "list", "--state", "delayed");
    expect(due.jobs.map((job) => [job.jobId, job.runAt! - job.submittedAt])).toEqual([[inAnHour, 3_600_000], [inAMinute, 60_000]]);
    expect((await stats(queue.port)).counts).toMatchObject({ delayed: 2, pending: 0 });
  });
});

describe("priorities", () => {
  it("hands out higher priorities first, and first come first served within one", async () => {
    const queue = await startQueue();
    const sleeper = await worker(queue.port, "w-1");
    // Keeps the only worker busy until it is cancelled below, however long the submissions take.
    const [busy] = await submit(queue.port, "--duration", "600000");
    await sleeper.waitForEvent("job.started", { jobId: busy });
    // Submitted while the worker is busy: low first, then high, then the default (5).
    const low = await submit(queue.port, "--priority", "1", "--count", "2", "--duration", "20");
    const high = await submit(queue.port, "--priority", "9", "--count", "2", "--duration", "20");
    const normal = await submit(queue.port, "--count", "1", "--duration", "20");

    const pending = await djqJson<Page>(queue.port, "list", "--state", "pending");
    // Listed oldest first, as `list --help` says; handed out by priority (checked below).
    expect(pending.jobs.map((job) => [job.jobId, job.priority])).toEqual([
      [low[0], 1], [low[1], 1], [high[0], 9], [high[1], 9], [normal[0], 5],
    ]);
    await djq(queue.port, "cancel", String(busy));
    await each(sleeper, "job.completed", [...low, ...high, ...normal]);
    expect(startedJobs(sleeper)).toEqual([busy, ...high, ...normal, ...low]);
  });
});

describe("progress", () => {
  it("shows the sleep handler's progress in status while the job runs", async () => {
    const queue = await startQueue();
    const sleeper = await worker(queue.port, "w-1");
    // Marks at 2, 4 and 6 s: each stays in view far longer than one `djq` run takes.
    const [jobId] = await submit(queue.port, "--duration", "8000");
    await sleeper.waitForEvent("job.started", { jobId });
    const seen: number[] = [];
    let text: string | undefined;
    for (let job = await status(queue.port, jobId!); job.state === "running"; job = await status(queue.port, jobId!)) {
      const percent = job.progress?.percent;
      if (percent === undefined) continue;
      if (seen.at(-1) !== percent) seen.push(percent);
      text ??= await djq(queue.port, "status", String(jobId));
    }
    // Each mark seen is one the handler reports, in order, and the job was seen to move on.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([25, 50, 75].filter((mark) => seen.includes(mark)));
    expect(text).toMatch(/^ {2}progress {3}(25|50|75)%$/m);

    const done = await status(queue.port, jobId!);
    expect(done.state).toBe("completed");
    expect(done.progress).toBeUndefined();
  });
});

describe("pause and resume", () => {
  it("a paused queue takes jobs but assigns none, lets running ones finish, and dispatches on resume", async () => {
    const queue = await startQueue();
    const sleeper = await worker(queue.port, "w-q", "--queues", "q", "--concurrency", "2");
    const [running] = await submit(queue.port, "--queue", "q", "--duration", "5000");
    await sleeper.waitForEvent("job.started", { jobId: running });

    expect(await djq(queue.port, "pause", "q")).toBe("paused queue q\n");
    const pausedAt = Date.parse((await queue.waitForEvent("queue.paused", { queue: "q" })).at as string);
    const held = await submit(queue.port, "--queue", "q", "--count", "2", "--duration", "20");
    expect(held).toHaveLength(2);
    await sleeper.waitForEvent("job.completed", { jobId: running });
    // It was running when the queue was paused, and finished anyway.
    expect((await status(queue.port, running!)).settledAt).toBeGreaterThan(pausedAt);
    await waitingIdle(queue.port, "w-q");

    expect(startedJobs(sleeper)).toEqual([running]);
    const pending = await djqJson<Page>(queue.port, "list", "--state", "pending", "--queue", "q");
    expect(pending.jobs.map((job) => job.jobId)).toEqual(held);
    expect((await stats(queue.port)).queues.q).toMatchObject({ paused: true, counts: { pending: 2, running: 0, completed: 1 } });
    expect(await djq(queue.port, "stats")).toMatch(/^ {2}q \(paused\) {2}delayed 0 {2}pending 2/m);

    expect(await djqJson(queue.port, "resume", "q")).toEqual({ ok: true, queue: "q" });
    await each(sleeper, "job.completed", held);
    expect((await stats(queue.port)).queues.q).toMatchObject({ paused: false, counts: { pending: 0, completed: 3 } });
  });
});

describe("listing", () => {
  it("pages through pending jobs oldest first, fifty at a time, with a next cursor", async () => {
    const queue = await startQueue();
    const ids = await submit(queue.port, "--queue", "backlog", "--count", "120");
    const page = (...args: string[]) => djqJson<Page>(queue.port, "list", "--state", "pending", "--queue", "backlog", ...args);

    const first = await page();
    expect(first.jobs.map((job) => job.jobId)).toEqual(ids.slice(0, 50));
    expect(first.next).toBe(ids[49]);
    const second = await page("--after", String(first.next));
    expect(second.jobs.map((job) => job.jobId)).toEqual(ids.slice(50, 100));
    const last = await page("--after", String(second.next), "--limit", "50");
    expect(last.jobs.map((job) => job.jobId)).toEqual(ids.slice(100));
    expect(last.next).toBeUndefined();

    const text = await djq(queue.port, "list", "--state", "pending", "--queue", "backlog", "--limit", "2");
    expect(text).toBe(
      [
        "id  state    queue    type   attempts  error",
        `${ids[0]}   pending  backlog  sleep  0/5`,
        `${ids[1]}   pending  backlog  sleep  0/5`,
        `more: --after ${ids[1]}`,
        "",
      ].join("\n"),
    );
    expect(await djq(queue.port, "list", "--state", "pending", "--queue", "elsewhere")).toBe("no pending jobs\n");
  });

  it("lists failed jobs in the order they failed, oldest first, a page at a time", async () => {
    const queue = await startQueue();
    await worker(queue.port, "w-1");
    const failing = ["--payload", '{"fail":"out of paper"}', "--max-attempts", "1", "--duration", "0", "--wait"];
    for (let i = 0; i < 3; i += 1) expect((await runClient(queue.port, ["submit", ...failing])).code).toBe(1);
    const failed = await djqJson<Page>(queue.port, "list", "--state", "failed");
    expect(failed.jobs.map((job) => job.jobId)).toEqual([1, 2, 3]);

    const firstFailed = await djqJson<Page>(queue.port, "list", "--state", "failed", "--limit", "1");
    expect(firstFailed.jobs).toMatchObject([{ jobId: 1, state: "failed", error: "out of paper", attempts: 1 }]);
    const secondPage = await djqJson<Page>(queue.port, "list", "--state", "failed", "--limit", "1", "--after", String(firstFailed.next));
    expect(secondPage.jobs).toMatchObject([{ jobId: 2 }]);
  });
});
