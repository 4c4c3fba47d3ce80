// The live demo: a queue, two workers and a client that submits a batch; one worker is killed
// with SIGKILL mid-job, its job is reassigned and completed by the other; then every job's
// final state and a one-line summary. Stops everything it started.
import { spawn } from "node:child_process";
import net from "node:net";
import { connectClient } from "../apps/client/dist/index.js";

const JOBS = 8;
const DURATION_MS = 1200;
const started = [];

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(name, script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  const listeners = [];
  const relay = (stream) => {
    let partial = "";
    stream.setEncoding("utf8").on("data", (text) => {
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop();
      for (const line of lines) {
        if (line.length === 0) continue;
        process.stdout.write(`[${name}] ${line.replace(/^\S+Z /, "")}\n`);
        for (const listener of [...listeners]) listener(line);
      }
    });
  };
  relay(child.stdout);
  relay(child.stderr);
  const waitFor = (pattern, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (line) => {
        const match = line.match(pattern);
        if (!match) return;
        listeners.splice(listeners.indexOf(listener), 1);
        clearTimeout(timer);
        resolve(match);
      };
      listeners.push(listener);
    });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, waitFor, exited };
}

function say(text) {
  process.stdout.write(`\n[demo] ${text}\n\n`);
}

async function main() {
  const port = await freePort();
  say(`starting a queue on 127.0.0.1:${port} and two workers`);
  // At debug, the logs show each job's path (submitted, assigned, started, completed).
  const queue = run("queue", "apps/queue/dist/main.js", ["--port", String(port), "--log-level", "debug"]);
  await queue.waitFor(/queue\.listening/);
  const workers = {
    "worker-a": run("worker-a", "apps/worker/dist/main.js", ["--port", String(port), "--worker-id", "worker-a", "--log-level", "debug"]),
    "worker-b": run("worker-b", "apps/worker/dist/main.js", ["--port", String(port), "--worker-id", "worker-b", "--log-level", "debug"]),
  };
  await Promise.all([queue.waitFor(/worker\.connected worker=worker-a/), queue.waitFor(/worker\.connected worker=worker-b/)]);

  say(`a client submits ${JOBS} jobs of ${DURATION_MS} ms each and waits for them`);
  const victimAssigned = queue.waitFor(/job\.assigned job=(\d+) worker=worker-a/);
  const client = run("client", "apps/client/dist/main.js", [
    "submit", "--port", String(port), "--count", String(JOBS), "--duration", String(DURATION_MS), "--wait",
  ]);
  const [, victimJob] = await victimAssigned;
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS / 3));
  say(`SIGKILL worker-a while it runs job ${victimJob}`);
  workers["worker-a"].child.kill("SIGKILL");
  await queue.waitFor(new RegExp(`job\\.assigned job=${victimJob} worker=worker-b`));
  say(`job ${victimJob} was reassigned to worker-b`);

  const { code } = await client.exited;
  const reader = await connectClient({ port });
  const jobs = [];
  for (let id = 1; id <= JOBS; id += 1) jobs.push(await reader.status(id));
  const stats = await reader.stats();
  await reader.close();

  say("final state of every job");
  for (const job of jobs) {
    const attempts = job.history.map((a) => `${a.workerId}:${a.outcome}`).join(" → ");
    process.stdout.write(`  job ${String(job.jobId).padStart(2)}  ${job.state.padEnd(9)} attempts=${job.attempts}  ${attempts}\n`);
  }
  const completed = jobs.filter((j) => j.state === "completed").length;
  const lost = JOBS - completed - jobs.filter((j) => j.state === "failed" || j.state === "cancelled").length;
  const summary = `submitted=${stats.totals.submitted} completed=${completed} reassigned=${stats.totals.reassigned} lost=${lost}`;
  process.stdout.write(`\nsummary: ${summary}\n`);
  return code === 0 && lost === 0 && completed === JOBS && stats.totals.reassigned >= 1;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  process.stderr.write(`demo failed: ${error.stack ?? error}\n`);
} finally {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(started.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.on("exit", r)) : null)));
}
process.exit(ok ? 0 : 1);
