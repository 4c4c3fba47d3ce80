// The operator's view, end to end: the real queue serves its dashboard, real workers run jobs,
// and headless Chromium reads the page the way a person would. /metrics and the mutation guard
// are checked over plain HTTP.
import { existsSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { programs, startQueue, startWorker, type Program, type QueueProcess } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";

const chromiumPath = "/usr/bin/chromium";
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) {
  console.warn(`dashboard browser tests skipped: no ${chromiumPath} (run scripts/install-test-tools.sh as root to install it)`);
}

const sockets: RawSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

interface DashboardQueue {
  queue: QueueProcess;
  base: string;
}

async function startQueueWithDashboard(args: string[] = []): Promise<DashboardQueue> {
  const queue = await startQueue(["--dashboard-port", "0", ...args]);
  const listening = await queue.waitForEvent("dashboard.listening");
  return { queue, base: `http://127.0.0.1:${listening.port as number}/` };
}

async function client(port: number): Promise<RawSocket> {
  const socket = await RawSocket.connect(port);
  sockets.push(socket);
  expect(await socket.hello("client")).toMatchObject({ type: "welcome" });
  return socket;
}

async function clientWithSecret(port: number, secret: string): Promise<RawSocket> {
  const socket = await RawSocket.connect(port);
  sockets.push(socket);
  await socket.hello("client", { secret });
  return socket;
}

async function submit(socket: RawSocket, jobs: Record<string, unknown>[]): Promise<number[]> {
  const reply = await socket.request({ id: `s${Date.now()}`, type: "submit", jobs });
  expect(reply).toMatchObject({ type: "submitted" });
  return reply.jobIds as number[];
}

/** The real worker program when it is built; otherwise a stand-in speaking the protocol over a raw socket. */
async function worker(port: number, workerId: string): Promise<Program | RawSocket> {
  if (existsSync(programs.worker)) return startWorker(port, ["--worker-id", workerId, "--concurrency", "2"]);
  const socket = await RawSocket.connect(port);
  sockets.push(socket);
  await socket.hello("worker", { workerId, queues: ["default"] });
  const beat = setInterval(() => socket.send({ id: "beat", type: "heartbeat" }), 100);
  void socket.closedPromise.then(() => clearInterval(beat));
  let id = 0;
  socket.send({ id: ++id, type: "fetch", max: 1 });
  void (async () => {
    for (;;) {
      const message = await socket.next(120_000).catch(() => undefined);
      if (message === undefined) return;
      if (message.type !== "assign") continue;
      for (const job of message.jobs as { jobId: number; lease: number; durationMs: number }[]) {
        await new Promise((resolve) => setTimeout(resolve, job.durationMs));
        socket.send({ id: ++id, type: "complete", jobs: [{ jobId: job.jobId, lease: job.lease, result: { slept: job.durationMs } }] });
      }
      socket.send({ id: ++id, type: "fetch", max: 1 });
    }
  })();
  return socket;
}

async function nextOfType(socket: RawSocket, type: string): Promise<Record<string, unknown>> {
  for (;;) {
    const message = await socket.next();
    if (message.type === type) return message;
  }
}

async function metrics(base: string): Promise<Map<string, number>> {
  const response = await fetch(`${base}metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parseExposition(await response.text());
}

/** Parses Prometheus text format strictly: every sample belongs to a family announced with HELP and TYPE. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.trimEnd().split("\n")) {
    const help = /^# HELP ([a-z_]+) \S.*$/.exec(line);
    const type = /^# TYPE ([a-z_]+) (gauge|counter|histogram)$/.exec(line);
    if (help) helped.add(help[1] as string);
    else if (type) typed.set(type[1] as string, type[2] as string);
    else {
      const sample = /^([a-z_]+)(\{[a-z]+="[^"]*"(?:,[a-z]+="[^"]*")*\})? (-?[0-9.e+]+)$/.exec(line);
      expect(sample, `not a sample line: ${line}`).not.toBeNull();
      const [, name, labels = "", value] = sample as RegExpExecArray;
      const family = (name as string).replace(/_(bucket|sum|count)$/, "");
      const announced = typed.has(name as string) ? (name as string) : family;
      expect(typed.has(announced) && helped.has(announced), `${name} has no HELP and TYPE`).toBe(true);
      samples.set(`${name}${labels}`, Number(value));
    }
  }
  return samples;
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!hasChromium)("the dashboard page in a browser", () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.close();
  });

  it("shows the counts change live as a worker completes jobs, and a looked-up job's whole history", async () => {
    const { queue, base } = await startQueueWithDashboard();
    page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(base);
    await page.locator("#live-text", { hasText: "live" }).waitFor();
    expect(await page.textContent("#count-completed")).toBe("0");

    // A worker takes job 1 and vanishes: the job goes back, and that attempt stays in its history.
    const doomed = await RawSocket.connect(queue.port);
    sockets.push(doomed);
    await doomed.hello("worker", { workerId: "doomed-worker", queues: ["default"] });
    const beat = setInterval(() => doomed.send({ id: "beat", type: "heartbeat" }), 100);
    doomed.send({ id: 1, type: "fetch", max: 1 });
    const socket = await client(queue.port);
    const ids = await submit(socket, Array.from({ length: 8 }, () => ({ durationMs: 150 })));
    expect(await nextOfType(doomed, "assign")).toMatchObject({ jobs: [{ jobId: ids[0] }] });
    await page.locator("#workers", { hasText: "doomed-worker" }).waitFor();
    expect(await page.textContent("#count-running")).toBe("1");
    expect(await page.textContent("#count-pending")).toBe("7");
    await page.locator("#memory", { hasText: "bytes budgeted" }).waitFor();
    clearInterval(beat);
    doomed.close();
    await page.locator("#recent", { hasText: "reassigned" }).waitFor();

    await worker(queue.port, "steady-worker");
    await page.locator("#count-completed", { hasText: /^8$/ }).waitFor({ timeout: 20_000 });
    expect(await page.textContent("#count-pending")).toBe("0");
    expect(await page.textContent("#count-running")).toBe("0");
    await page.locator("#workers", { hasText: "steady-worker" }).waitFor();
    await page.locator("#queues", { hasText: "default" }).waitFor();

    await page.fill("#lookup-id", String(ids[0]));
    await page.click("#lookup-button");
    await page.locator("#job-state", { hasText: "completed" }).waitFor();
    const rows = page.locator("#job-history tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/doomed-worker.*worker-lost.*connection closed/);
    expect(await rows.nth(1).textContent()).toMatch(/steady-worker.*completed/);
    expect(await page.textContent("#job-result")).toContain("slept");
    expect(await page.textContent("#actions-note")).toContain("Read-only");

    await page.fill("#lookup-id", "999");
    await page.click("#lookup-button");
    await page.locator("#job-error", { hasText: "no job 999" }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("cancels a job from the page when the client secret is given", async () => {
    const { queue, base } = await startQueueWithDashboard(["--client-secret", "page-secret"]);
    const socket = await clientWithSecret(queue.port, "page-secret");
    const [jobId] = await submit(socket, [{ durationMs: 10 }]);
    page = await browser.newPage();
    await page.goto(`${base}#job=${jobId}`);
    await page.locator("#job-state", { hasText: "pending" }).waitFor();

    await page.click("#job-cancel");
    await page.locator("#actions-note", { hasText: "wrong or missing client secret" }).waitFor();
    await page.fill("#secret", "page-secret");
    await page.click("#job-cancel");
    await page.locator("#job-state", { hasText: "cancelled" }).waitFor();
    await page.locator("#count-cancelled", { hasText: /^1$/ }).waitFor();
  });

  it("lists a state's jobs a page at a time, and cancels and retries a selected set, answered job by job", async () => {
    const { queue, base } = await startQueueWithDashboard(["--client-secret", "list-secret"]);
    const socket = await clientWithSecret(queue.port, "list-secret");
    const ids = await submit(socket, Array.from({ length: 55 }, () => ({ durationMs: 10 })));
    page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(base);
    const rows = page.locator("#jobs-list tbody tr");
    // By its data-job attribute: a text like "#4" would also match "#40" in the list shown before.
    const row = (jobId: number | undefined) => page.locator(`#jobs-list tbody tr[data-job="${jobId}"]`);
    await row(ids[49]).waitFor();
    expect(await rows.count()).toBe(50);

    // A worker (of another queue, so the list stays put) that stops cleanly is no failure.
    const leaving = await startWorker(queue.port, ["--worker-id", "leaving-worker", "--queues", "elsewhere"]);
    await page.locator("#workers", { hasText: "leaving-worker" }).waitFor();
    leaving.kill("SIGTERM");
    await queue.waitForEvent("worker.left", { worker: "leaving-worker" });
    await page.locator("#workers", { hasText: "no workers connected" }).waitFor();
    expect(await page.textContent("#recent")).toContain("nothing has gone wrong yet");
    expect(await rows.nth(0).getAttribute("data-job")).toBe(String(ids[0]));
    await page.click("#jobs-next");
    await row(ids[54]).waitFor();
    expect(await rows.count()).toBe(5);
    expect(await page.isDisabled("#jobs-next")).toBe(true);

    await page.click("#jobs-first");
    await row(ids[0]).waitFor();
    await page.fill("#secret", "list-secret");
    for (const jobId of ids.slice(0, 4)) await page.check(`.job-pick[value="${jobId}"]`);
    // Job 4 is cancelled by someone else before the button is pressed: it is refused on its own.
    const elsewhere = await fetch(`${base}api/jobs/${ids[3]}/cancel`, { method: "POST", headers: { authorization: "Bearer list-secret" } });
    expect(elsewhere.status).toBe(200);
    await page.click("#jobs-cancel");
    await page.locator("#jobs-note", { hasText: `cancel: #${ids[0]}, #${ids[1]}, #${ids[2]} done; refused: #${ids[3]}` }).waitFor();
    await page.locator("#count-cancelled", { hasText: /^4$/ }).waitFor();
    expect(await rows.nth(0).getAttribute("data-job")).toBe(String(ids[4]));

    await page.selectOption("#jobs-state", "cancelled");
    await row(ids[3]).waitFor();
    expect(await rows.count()).toBe(4);
    for (const jobId of ids.slice(0, 2)) await page.check(`.job-pick[value="${jobId}"]`);
    await page.click("#jobs-retry");
    await page.locator("#jobs-note", { hasText: `retry: #${ids[0]}, #${ids[1]} done` }).waitFor();
    await page.locator("#count-cancelled", { hasText: /^2$/ }).waitFor();
    expect(await rows.count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});

describe("GET /metrics", () => {
  it("serves every family in Prometheus text format, and its counters rise as jobs complete", async () => {
    const { queue, base } = await startQueueWithDashboard();
    const before = await metrics(base);
    for (const name of ["submitted", "completed", "failed", "reassigned", "cancelled"]) expect(before.get(`djq_jobs_${name}_total`)).toBe(0);
    expect(before.get("djq_stale_reports_refused_total")).toBe(0);
    expect(before.get('djq_jobs{state="pending"}')).toBe(0);
    expect(before.get("djq_workers_connected")).toBe(0);
    expect(before.get("djq_assignment_latency_seconds_count")).toBe(0);
    expect(before.get("djq_memory_held_bytes")).toBe(0);
    expect(before.get("djq_memory_limit_bytes")).toBeGreaterThan(0);

    const socket = await client(queue.port);
    await submit(socket, [{ durationMs: 20 }, { durationMs: 20 }, { durationMs: 20, queue: "mail" }]);
    const waiting = await metrics(base);
    expect(waiting.get('djq_jobs{state="pending"}')).toBe(3);
    expect(waiting.get('djq_queue_jobs{queue="mail",state="pending"}')).toBe(1);
    expect(waiting.get('djq_queue_jobs{queue="default",state="pending"}')).toBe(2);
    expect(waiting.get("djq_memory_held_bytes")).toBeGreaterThan(0);

    await worker(queue.port, "metrics-worker");
    const after = await waitFor(() => metrics(base), (m) => m.get("djq_jobs_completed_total") === 2, "completed total");
    expect(after.get("djq_jobs_submitted_total")).toBe(3);
    expect(after.get('djq_jobs{state="completed"}')).toBe(2);
    expect(after.get('djq_jobs{state="pending"}')).toBe(1); // the worker serves "default" only
    expect(after.get("djq_workers_connected")).toBe(1);
    expect(after.get("djq_assignment_latency_seconds_count")).toBe(2);
    expect(after.get('djq_assignment_latency_seconds_bucket{le="+Inf"}')).toBe(2);
    const buckets = [...after.entries()].filter(([key]) => key.startsWith("djq_assignment_latency_seconds_bucket"));
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i += 1) expect((buckets[i] as [string, number])[1]).toBeGreaterThanOrEqual((buckets[i - 1] as [string, number])[1]);
    expect(after.get("djq_assignment_latency_seconds_sum")).toBeGreaterThanOrEqual(0);
  });
});

describe("changing jobs through the dashboard", () => {
  it("refuses cancel and retry with 403 and says why when the queue has no client secret", async () => {
    const { queue, base } = await startQueueWithDashboard();
    const [jobId] = await submit(await client(queue.port), [{ durationMs: 10 }]);
    for (const verb of ["cancel", "retry"]) {
      const response = await fetch(`${base}api/jobs/${jobId}/${verb}`, { method: "POST", headers: { authorization: "Bearer guess" } });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: "read-only", message: expect.stringContaining("--client-secret") });
    }
    const job = await (await fetch(`${base}api/jobs/${jobId}`)).json();
    expect(job).toMatchObject({ jobId, state: "pending" });
  });

  it("cancels and retries with the client secret as a bearer token, and refuses a wrong one with 401", async () => {
    const { queue, base } = await startQueueWithDashboard(["--client-secret", "s3cret"]);
    const socket = await clientWithSecret(queue.port, "s3cret");
    const [jobId] = await submit(socket, [{ durationMs: 10 }]);
    const post = (path: string, authorization?: string) =>
      fetch(`${base}${path}`, { method: "POST", headers: authorization === undefined ? {} : { authorization } });

    expect((await post(`api/jobs/${jobId}/cancel`)).status).toBe(401);
    const wrong = await post(`api/jobs/${jobId}/cancel`, "Bearer s3cre7");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");

    const cancelled = await post(`api/jobs/${jobId}/cancel`, "Bearer s3cret");
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toEqual({ ok: true, jobId, was: "pending" });
    expect(await (await fetch(`${base}api/jobs/${jobId}`)).json()).toMatchObject({ state: "cancelled" });
    expect((await post(`api/jobs/${jobId}/cancel`, "Bearer s3cret")).status).toBe(409);

    const retried = await post(`api/jobs/${jobId}/retry`, "Bearer s3cret");
    expect(await retried.json()).toEqual({ ok: true, jobId });
    expect(await (await fetch(`${base}api/jobs/${jobId}`)).json()).toMatchObject({ state: "pending" });
    expect((await post("api/jobs/424242/retry", "Bearer s3cret")).status).toBe(404);
    await queue.waitForEvent("job.cancelled", { job: jobId, was: "pending" });
  });

  it("answers HEAD wherever it answers GET, and Allow names what each route takes", async () => {
    const { base } = await startQueueWithDashboard();
    for (const path of ["", "api/stats", "metrics", "events", "api/jobs?state=pending", "api/jobs/1"]) {
      const head = await fetch(`${base}${path}`, { method: "HEAD" });
      expect([path, head.status]).toEqual([path, path === "api/jobs/1" ? 404 : 200]);
      expect(await head.text()).toBe("");
    }
    const page = await fetch(base);
    expect((await fetch(base, { method: "HEAD" })).headers.get("content-length")).toBe(page.headers.get("content-length"));
    const postOnly = await fetch(`${base}api/jobs/1/cancel`);
    expect(postOnly.status).toBe(405);
    expect(postOnly.headers.get("allow")).toBe("POST");
    const getOnly = await fetch(base, { method: "POST" });
    expect(getOnly.status).toBe(405);
    expect(getOnly.headers.get("allow")).toBe("GET, HEAD");
    expect((await fetch(`${base}metrics`, { method: "DELETE" })).headers.get("allow")).toBe("GET, HEAD");
  });

  it("lists jobs by state with the list cursor and acts on a set of job ids, answering each", async () => {
    const { queue, base } = await startQueueWithDashboard(["--client-secret", "set-secret"]);
    const socket = await clientWithSecret(queue.port, "set-secret");
    const ids = await submit(socket, Array.from({ length: 3 }, () => ({ durationMs: 10 })));
    type JobsPage = { jobs: { jobId: number }[]; next?: number };
    const first = (await (await fetch(`${base}api/jobs?state=pending&limit=2`)).json()) as JobsPage;
    expect(first.jobs.map((job) => job.jobId)).toEqual(ids.slice(0, 2));
    const cancelled = await fetch(`${base}api/jobs/cancel?ids=${ids[1]},${ids[1]},424242`, { method: "POST", headers: { authorization: "Bearer set-secret" } });
    expect(await cancelled.json()).toEqual({
      results: [
        { jobId: ids[1], ok: true },
        { jobId: ids[1], ok: false, error: "invalid-state", message: expect.stringContaining("cancelled") },
        { jobId: 424242, ok: false, error: "unknown-job", message: expect.any(String) },
      ],
    });
    const next = (await (await fetch(`${base}api/jobs?state=pending&limit=2&after=${first.next}`)).json()) as JobsPage;
    expect(next.jobs.map((job) => job.jobId)).toEqual([ids[2]]);
    expect((await fetch(`${base}api/jobs?state=bogus`)).status).toBe(400);
    expect((await fetch(`${base}api/jobs?state=pending&after=999`)).status).toBe(400);
    expect((await fetch(`${base}api/jobs/retry?ids=${ids[0]}`, { method: "POST" })).status).toBe(401);
  });

  it("answers only its own routes and methods, and bounds request bodies", async () => {
    const { base } = await startQueueWithDashboard();
    expect((await fetch(`${base}nowhere`)).status).toBe(404);
    expect((await fetch(`${base}api/jobs/1/cancel`)).status).toBe(405);
    expect((await fetch(`${base}metrics`, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${base}api/jobs/x1`)).status).toBe(400);
    const big = await fetch(`${base}api/jobs/1/cancel`, { method: "POST", body: "x".repeat(64 * 1024) });
    expect(big.status).toBe(413);
    const stats = await (await fetch(`${base}api/stats`)).json();
    expect(stats).toMatchObject({ counts: { pending: 0 }, totals: { submitted: 0 }, workers: [] });
    const html = await fetch(base);
    expect(html.headers.get("content-security-policy")).toContain("script-src 'sha256-");
    expect(await html.text()).toContain("<title>djq dashboard</title>");
  });
});
