// Reading the handler starts the bench's workers noted (bench workers and the floor's bare ones
// alike), over IPC and outside any measured stretch.
import { setTimeout as delay } from "node:timers/promises";
import type { BenchWorkerReport } from "./bench-messages.js";
import type { Program } from "./processes.js";

const POLL_MS = 5;

/** Job id → the monotonic time its handler first started, over every worker. */
export async function collectStarts(workers: readonly Program[]): Promise<Map<number, number>> {
  const startedAt = new Map<number, number>();
  for (const worker of workers) {
    worker.send({ type: "report" });
    const { starts } = await worker.next<Extract<BenchWorkerReport, { type: "starts" }>>("starts", 10_000);
    for (const [jobId, at] of starts) if (!startedAt.has(jobId)) startedAt.set(jobId, at);
  }
  return startedAt;
}

/** How many handler starts the workers have noted in all. */
export async function startedCount(workers: readonly Program[]): Promise<number> {
  let total = 0;
  for (const worker of workers) {
    worker.send({ type: "count" });
    total += (await worker.next<Extract<BenchWorkerReport, { type: "count" }>>("count", 10_000)).started;
  }
  return total;
}

/** Waits until `count` handlers have started in all, then returns every start noted so far. */
export async function startsOnceCounted(workers: readonly Program[], count: number, timeoutMs: number): Promise<Map<number, number>> {
  const deadline = Date.now() + timeoutMs;
  for (let started = await startedCount(workers); started < count; started = await startedCount(workers)) {
    if (Date.now() > deadline) throw new Error(`only ${started} of ${count} handlers started within ${timeoutMs} ms`);
    await delay(POLL_MS);
  }
  return collectStarts(workers);
}
