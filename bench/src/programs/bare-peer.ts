// What the bare peers (the floor's and beanstalkd's) share apart from their protocols: the socket,
// the IPC with the orchestrator, C's steady pacing and U's one awaited submit at a time, each job
// timed on the shared monotonic clock from its own call.
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { BenchWorkerCommand, BenchWorkerReport, ProducerCommand, ProducerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";

/** A loopback connection with Nagle off, once connected; `listen` is on before any byte can arrive. */
export async function connectBare(port: number, listen: (socket: net.Socket) => void): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.setNoDelay(true);
  listen(socket);
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

/** A worker's handler starts, noted for the orchestrator, which asks for them over IPC. */
export function noteStarts(): { started(jobId: number, at: number): void; report(message: BenchWorkerReport): void } {
  const starts: [number, number][] = [];
  const report = (message: BenchWorkerReport) => process.send?.(message);
  process.on("message", (command: BenchWorkerCommand) => {
    report(command.type === "report" ? { type: "starts", starts } : { type: "count", started: starts.length });
  });
  return { started: (jobId, at) => void starts.push([jobId, at]), report };
}

/** Runs each command the orchestrator sends and reports its outcome, or its error. */
export function serveProducerCommands(run: (command: ProducerCommand) => Promise<ProducerReport | undefined>): (message: ProducerReport) => void {
  const report = (message: ProducerReport) => process.send?.(message);
  process.on("message", (command: ProducerCommand) => {
    run(command).then(
      (reply) => reply && report(reply),
      (error: Error) => report({ type: "error", message: error.stack ?? error.message }),
    );
  });
  return report;
}

/** Sends a job and resolves with its id once the broker acknowledged it. */
export type SubmitOne = () => Promise<number>;

/** `rate` submits a second for `durationMs`, without waiting for one before the next. */
export async function pacedSubmits(rate: number, durationMs: number, submit: SubmitOne): Promise<{ startedAt: number; submits: [jobId: number, at: number][] }> {
  const total = Math.round((rate * durationMs) / 1000);
  const submits: [number, number][] = [];
  const replies: Promise<void>[] = [];
  const startedAt = monotonicMs();
  for (let sent = 0; sent < total; await delay(1)) {
    const due = Math.min(total, Math.floor(((monotonicMs() - startedAt) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const at = monotonicMs();
      replies.push(submit().then((jobId) => void submits.push([jobId, at])));
    }
  }
  await Promise.all(replies);
  return { startedAt, submits };
}

/** `jobs` submits, each awaited before the next, with when each was made and acknowledged. */
export async function oneByOneSubmits(jobs: number, submit: SubmitOne): Promise<[jobId: number, submittedAt: number, acknowledgedAt: number][]> {
  const submits: [number, number, number][] = [];
  for (let i = 0; i < jobs; i++) {
    const submittedAt = monotonicMs();
    const jobId = await submit();
    submits.push([jobId, submittedAt, monotonicMs()]);
  }
  return submits;
}
