// A worker process for the bench, built on the worker library: it opens --workers library workers
// (one connection each), runs the built-in sleep handler (or, with --user, a program's own handler
// on a named queue), and notes the monotonic time each job's handler starts. Start times go to the
// orchestrator on request, or at once with --announce.
import { parseArgs } from "node:util";
import { createLogger } from "@djq/runtime";
import { createSleepHandler, createWorker, type JobHandler } from "@djq/worker";
import type { BenchWorkerCommand, BenchWorkerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";
import { renderWelcomeEmail, userJobType, userJobTypes, userQueue, type WelcomeEmail } from "../user-job.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    id: { type: "string", default: "bench-worker" },
    workers: { type: "string", default: "1" },
    concurrency: { type: "string", default: "1" },
    announce: { type: "boolean", default: false },
    /** Diagnostic: a zero-duration job returns at once instead of through the sleep handler's timer. */
    instant: { type: "boolean", default: false },
    /** The user's shape: its own handler for the user job type, on the user queue. */
    user: { type: "boolean", default: false },
  },
});
const report = (message: BenchWorkerReport) => process.send?.(message);

const starts: [number, number][] = [];
const sleep = createSleepHandler();
const timedSleep: JobHandler = (job, ctx) => {
  const at = monotonicMs();
  starts.push([job.id, at]);
  if (values.announce) report({ type: "started", jobId: job.id, at, workerId: ctx.workerId });
  if (values.instant && job.durationMs === 0) return { sleptMs: 0, workerId: ctx.workerId };
  return sleep(job, ctx);
};

const sendEmail: JobHandler<WelcomeEmail> = (job) => {
  starts.push([job.id, monotonicMs()]);
  return renderWelcomeEmail(job.payload);
};

// At the default level, as a program following docs/worker.md logs; the bench counts the warnings
// (a lost connection, a refused report) as false positives.
const logger = createLogger({ program: "bench-worker", format: "json" });
const workers = Array.from({ length: Number(values.workers) }, (_, index) =>
  createWorker({
    host: "127.0.0.1",
    port: Number(values.port),
    workerId: `${values.id}-${index}`,
    concurrency: Number(values.concurrency),
    ...(values.user
      ? { queues: [userQueue], jobTypes: userJobTypes, handlers: { [userJobType]: sendEmail } }
      : { handlers: { sleep: timedSleep } }),
    logger,
  }),
);

process.on("message", (command: BenchWorkerCommand) => {
  report(command.type === "report" ? { type: "starts", starts } : { type: "count", started: starts.length });
});
try {
  await Promise.all(workers.map((worker) => worker.start()));
  report({ type: "ready" });
} catch (error) {
  report({ type: "error", message: (error as Error).message });
}
