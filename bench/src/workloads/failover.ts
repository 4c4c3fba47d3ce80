// Workloads E and F: a worker dies (SIGKILL) or freezes (SIGSTOP) in the middle of a job, with
// every setting at its default; measured from the signal to a second, idle worker's handler
// starting that same job.
import type { BenchWorkerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";
import { waitForWaitingWorkers } from "../processes.js";
import { startWorkers, withSystem, type WorkerFleet } from "../system-under-test.js";

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

export function runFailover(signal: "SIGKILL" | "SIGSTOP"): Promise<FailoverRun> {
  return withSystem({}, async ({ queue, control }) => {
    const [victim] = await startWorkers(queue.port, single, "victim", ["--announce"]);
    await waitForWaitingWorkers(control, 1);
    const [jobId] = await control.submit({ durationMs: 60_000 });
    const first = await victim!.next<Started>("started", 10_000);
    if (first.jobId !== jobId) throw new Error(`the victim started job ${first.jobId}, not ${jobId}`);
    const [rescuer] = await startWorkers(queue.port, single, "rescuer", ["--announce"]);
    await waitForWaitingWorkers(control, 1);
    const signalledAt = monotonicMs();
    victim!.kill(signal);
    const exitSeen = victim!.exited.then(() => monotonicMs() - signalledAt);
    const taken = await rescuer!.next<Started>("started", GIVE_UP_MS);
    if (taken.jobId !== jobId) throw new Error(`the rescuer started job ${taken.jobId}, not ${jobId}`);
    const takeoverMs = taken.at - signalledAt;
    return signal === "SIGKILL" ? { signal, takeoverMs, exitSeenMs: await exitSeen } : { signal, takeoverMs };
  });
}
