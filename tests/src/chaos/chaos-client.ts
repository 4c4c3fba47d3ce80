#!/usr/bin/env node
// One client process of a chaos run: submits its share of short sleep jobs in paced batches with
// `watch`, waits for every one to settle, and prints one JSON line (every job id by settled state,
// and which ids were designed to fail) on stdout. It decides nothing about pass or fail.
import { connectClient, type JobId, type JobSpec } from "@djq/client";
import { createLogger, integerFlag, parseFlags, exitOnFlagError } from "@djq/runtime";
import type { ChaosClientSummary } from "./client-summary.js";
import { SeededRandom } from "./seeded-random.js";

const usage = `usage: node chaos-client.js --port N --jobs N [--client NAME] [--seed N] [--spread-ms N] [--wait-timeout-ms N]
  --spread-ms        submit the batches evenly over this long (default 0: all at once)
  --wait-timeout-ms  give up waiting for settlement after this long and exit 1 (default 120000)`;

/** Submitted batches come about this often. */
const BATCH_EVERY_MS = 250;
/** Share of jobs that fail their first attempt and then succeed. */
const FAIL_ONCE_SHARE = 0.05;
/** Share of jobs that fail every attempt and are allowed two: they must end `failed`. */
const FAIL_ALWAYS_SHARE = 0.01;

const { values: flags } = exitOnFlagError("chaos-client", () => parseFlags(process.argv.slice(2), {
  command: "chaos-client",
  options: { port: { type: "string" }, jobs: { type: "string" }, client: { type: "string" }, seed: { type: "string" }, "spread-ms": { type: "string" }, "wait-timeout-ms": { type: "string" } },
  usage,
}));
const name = flags.client ?? "client";
const port = integerFlag("port", flags.port, 7070, 1);
const total = integerFlag("jobs", flags.jobs, 100, 0);
const spreadMs = integerFlag("spread-ms", flags["spread-ms"], 0);
const waitTimeoutMs = integerFlag("wait-timeout-ms", flags["wait-timeout-ms"], 120_000, 1);
const random = new SeededRandom(integerFlag("seed", flags.seed, 1));
const log = createLogger({ program: `chaos-${name}`, level: "info", format: "json" });

const startedAt = Date.now();
const client = await connectClient({ port, logger: log, reconnect: { initialMs: 50, maxMs: 1_000, giveUpAfterMs: 60_000 } });
const designed: ChaosClientSummary["designed"] = { failOnce: [], failAlways: [] };
const jobIds: JobId[] = [];
const batches = Math.max(1, Math.min(total, Math.round(spreadMs / BATCH_EVERY_MS)));
for (let batch = 0; batch < batches; batch += 1) {
  const dueAt = startedAt + Math.round((spreadMs * batch) / batches);
  if (dueAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now()));
  const size = Math.floor((total * (batch + 1)) / batches) - Math.floor((total * batch) / batches);
  const kinds = Array.from({ length: size }, () => (random.chance(FAIL_ALWAYS_SHARE) ? "failAlways" : random.chance(FAIL_ONCE_SHARE) ? "failOnce" : "plain"));
  const specs: JobSpec[] = kinds.map((kind) => {
    const durationMs = random.int(0, 20);
    if (kind === "failAlways") return { durationMs, payload: { fail: true }, maxAttempts: 2 };
    if (kind === "failOnce") return { durationMs, payload: { failTimes: 1 } };
    return { durationMs };
  });
  const ids = await client.submit(specs, { watch: true });
  ids.forEach((id, index) => {
    const kind = kinds[index];
    if (kind === "failAlways" || kind === "failOnce") designed[kind].push(id);
  });
  jobIds.push(...ids);
}
log.info("chaos-client.submitted", { jobs: jobIds.length, batches, ms: Date.now() - startedAt });

const settled: ChaosClientSummary["settled"] = { completed: [], failed: [], cancelled: [] };
const seen = new Set<JobId>();
let timer: NodeJS.Timeout | undefined;
const timedOut = new Promise<"timeout">((resolve) => {
  timer = setTimeout(() => resolve("timeout"), waitTimeoutMs);
});
const outcome = await Promise.race([
  client.waitFor(jobIds, {
    onSettled: (job) => {
      if (seen.has(job.jobId)) return;
      seen.add(job.jobId);
      settled[job.state].push(job.jobId);
    },
  }),
  timedOut,
]);
clearTimeout(timer);
const summary: ChaosClientSummary = { client: name, submitted: jobIds.length, elapsedMs: Date.now() - startedAt, designed, settled };
if (outcome === "timeout") summary.unsettled = jobIds.filter((id) => !seen.has(id));
for (const ids of Object.values(settled)) ids.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify(summary)}\n`);
await client.close().catch(() => undefined);
process.exit(outcome === "timeout" ? 1 : 0);
