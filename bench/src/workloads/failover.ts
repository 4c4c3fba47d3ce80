// Workloads E and F: a worker dies (SIGKILL) or freezes (SIGSTOP) in the middle of a job, with
// every setting at its default; measured from the signal to another, idle worker's handler
// starting that same job. As in the other workloads, an unmeasured round comes first, so the
// measured one runs on code the queue and the rescuing worker have run before.
import type { JobId } from "@djq/protocol";
import type { BenchWorkerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";
import { waitForWaitingWorkers, type Program } from "../processes.js";
import { startWorkers, withSystem, type System, type WorkerFleet } from "../system-under-test.js";

export interface FailoverRun {
  signal: "SIGKILL" | "SIGSTOP";
  /** From the signal to the other worker's handler starting the job. */
  takeoverMs: number;
  /**
   * SIGKILL only: from the signal to this process seeing the victim's exit. The kernel closes the
   * victim's socket while tearing the process down, so this part is the OS's, not djq's.
   */
  exitSeenMs?: number;
}

type Started = Extract<BenchWorkerReport, { type: "started" }>;
const single: WorkerFleet = { program: "library", processes: 1, workersPerProcess: 1, concurrency: 1 };
/** Past the slowest reference figure (Bee-Queue, > 120 s): a worse result is a failure. */
const GIVE_UP_MS = 125_000;
const LONG_JOB = { durationMs: 60_000 };

export function runFailover(signal: "SIGKILL" | "SIGSTOP"): Promise<FailoverRun> {
  return withSystem({}, async (system) => {
    const [rescuer] = await startWorkers(system.queue.port, single, "rescuer", ["--announce"]);
    const held = await submitTo(system, rescuer!);
    const warmUp = await takeOver(system, rescuer!, held, "SIGKILL", "warm-up");
    return (await takeOver(system, rescuer!, warmUp.jobId, signal, "measured")).run;
  });
}

/**
 * The rescuer holds job `held`, so a new victim is the only worker waiting when the victim's job
 * is submitted; `held` is then cancelled to free the rescuer, and the victim is signalled.
 */
async function takeOver(
  system: System,
  rescuer: Program,
  held: JobId,
  signal: "SIGKILL" | "SIGSTOP",
  round: string,
): Promise<{ run: FailoverRun; jobId: JobId }> {
  const [victim] = await startWorkers(system.queue.port, single, `victim-${round}-`, ["--announce"]);
  const jobId = await submitTo(system, victim!);
  await system.control.cancel(held);
  await waitForWaitingWorkers(system.control, 1);
  const signalledAt = monotonicMs();
  victim!.kill(signal);
  const exitSeen = victim!.exited.then(() => monotonicMs() - signalledAt);
  const taken = await rescuer.next<Started>("started", GIVE_UP_MS);
  if (taken.jobId !== jobId) throw new Error(`the rescuer started job ${taken.jobId}, not ${jobId}`);
  const takeoverMs = taken.at - signalledAt;
  const run: FailoverRun = signal === "SIGKILL" ? { signal, takeoverMs, exitSeenMs: await exitSeen } : { signal, takeoverMs };
  return { run, jobId };
}

/** Submits a long job while `worker` is the only one waiting, and checks that it started it. */
async function submitTo(system: System, worker: Program): Promise<JobId> {
  await waitForWaitingWorkers(system.control, 1);
  const [jobId] = await system.control.submit(LONG_JOB);
  const started = await worker.next<Started>("started", 10_000);
  if (started.jobId !== jobId) throw new Error(`${worker.name} started job ${started.jobId}, not ${jobId}`);
  return jobId as JobId;
}
