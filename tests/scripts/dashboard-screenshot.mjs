// Takes docs/dashboard.png: the real queue under a changing load, real workers (one killed on
// the way, so jobs are reassigned), failing and retried jobs, a paused queue, and two stand-in
// workers that report progress. Run after `pnpm build`, with Chromium installed:
//   node tests/scripts/dashboard-screenshot.mjs [out.png]      (DJQ_SHOT_SECONDS=90 by default)
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../../", import.meta.url));
const out = process.argv[2] ?? `${root}docs/dashboard.png`;
const seconds = Number(process.env.DJQ_SHOT_SECONDS ?? 90);
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A program with its JSON log events, so the script can wait for one. */
function program(script, args) {
  const child = spawn(process.execPath, [`${root}${script}`, ...args, "--log-format", "json"], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  const events = [];
  let partial = "";
  let tail = "";
  child.stderr.setEncoding("utf8").on("data", (text) => {
    tail = (tail + text).slice(-4000);
    const lines = (partial + text).split("\n");
    partial = lines.pop();
    for (const line of lines) if (line.startsWith("{")) events.push(JSON.parse(line));
  });
  const waitFor = async (event) => {
    for (;;) {
      const found = events.find((e) => e.event === event);
      if (found) return found;
      await sleep(20);
    }
  };
  return { child, events, waitFor, tail: () => tail };
}

/** One NDJSON connection; `onMessage` sees every message the queue sends. */
function line(port, onMessage) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => resolve({ send: (m) => socket.write(`${JSON.stringify(m)}\n`), socket }));
    let partial = "";
    socket.setEncoding("utf8").on("data", (text) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop();
      for (const l of lines) if (l) onMessage(JSON.parse(l));
    });
    socket.on("error", () => {});
  });
}

/** A stand-in worker that reports progress as it goes, which the built-in sleep handler does not. */
async function progressWorker(port, workerId) {
  let id = 0;
  const worker = await line(port, (message) => {
    if (message.type !== "assign") return;
    for (const job of message.jobs) {
      const startedAt = Date.now();
      const tick = setInterval(() => {
        const percent = Math.min(100, Math.round(((Date.now() - startedAt) / job.durationMs) * 100));
        if (percent < 100) {
          worker.send({ id: ++id, type: "progress", jobId: job.jobId, lease: job.lease, percent, message: "encoding" });
          return;
        }
        clearInterval(tick);
        worker.send({ id: ++id, type: "complete", jobs: [{ jobId: job.jobId, lease: job.lease, result: { frames: 1800 } }] });
        worker.send({ id: ++id, type: "fetch", max: 1 });
      }, 250);
    }
  });
  worker.send({ id: ++id, type: "hello", role: "worker", version: 1, workerId, queues: ["video"] });
  setInterval(() => worker.send({ id: "beat", type: "heartbeat" }), 150).unref();
  worker.send({ id: ++id, type: "fetch", max: 1 });
}

try {
  const queue = program("apps/queue/dist/main.js", ["--port", "0", "--dashboard-port", "0", "--retry-base-ms", "500", "--max-attempts", "3"]);
  const port = (await queue.waitFor("queue.listening")).port;
  const dashboardPort = (await queue.waitFor("dashboard.listening")).port;
  const worker = (id, queues, concurrency) =>
    program("apps/worker/dist/main.js", ["--port", String(port), "--worker-id", id, "--queues", queues, "--concurrency", String(concurrency)]);
  worker("worker-a", "default,mail", 6);
  worker("worker-b", "default", 6);
  worker("worker-c", "mail,reports", 3);
  const doomed = worker("worker-d", "default", 4);
  await progressWorker(port, "render-1");
  await progressWorker(port, "render-2");

  const client = await line(port, () => {});
  let requestId = 0;
  client.send({ id: ++requestId, type: "hello", role: "client", version: 1 });
  const startedAt = Date.now();
  const random = (min, max) => min + Math.floor(Math.random() * (max - min));
  const load = setInterval(() => {
    const t = (Date.now() - startedAt) / 1000;
    const wave = Math.max(1, Math.round(6 + 5 * Math.sin(t / 9)));
    const jobs = [];
    for (let i = 0; i < wave; i += 1) jobs.push({ durationMs: random(150, 1200) });
    for (let i = 0; i < 2; i += 1) {
      const roll = Math.random();
      const payload = roll < 0.12 ? { fail: "550 mailbox unavailable" } : roll < 0.3 ? { failTimes: 1 } : undefined;
      jobs.push({ queue: "mail", durationMs: random(100, 600), ...(payload ? { payload } : {}) });
    }
    if (Math.random() < 0.5) jobs.push({ queue: "reports", durationMs: random(800, 2500), priority: 7 });
    if (Math.random() < 0.15) jobs.push({ queue: "video", durationMs: random(5000, 9000) });
    client.send({ id: ++requestId, type: "submit", jobs });
  }, 250);

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(`http://127.0.0.1:${dashboardPort}/`);

  await sleep(seconds * 400);
  doomed.child.kill("SIGKILL");
  await sleep(seconds * 150);
  client.send({ id: ++requestId, type: "pause", queue: "reports" });
  await sleep(seconds * 450);

  const moved = queue.events.find((e) => e.event === "job.requeued" && e.worker === "worker-d");
  if (moved) {
    await page.fill("#lookup-id", String(moved.job));
    await page.click("#lookup-button");
    await page.locator("#job-history").waitFor();
  }
  await sleep(1_200);
  if (queue.child.exitCode !== null || queue.child.signalCode !== null) {
    throw new Error(`the queue exited (${queue.child.exitCode ?? queue.child.signalCode}) before the screenshot:\n${queue.tail()}`);
  }
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
  clearInterval(load);
  await browser.close();
} catch (error) {
  console.error(error.message);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill("SIGKILL");
  process.exit();
}
