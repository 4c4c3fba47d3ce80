// The queue's orderly stop. Memory is all there is, so the summary it logs of what was still
// pending or running is the operator's only record of unfinished work.
import { Mutex } from "async-mutex";
import type { Broker } from "./broker.js";
import type { QueueServer } from "./server.js";

// Shutdown spans awaits (closing the listener, the grace period); the mutex makes a second
// signal or a concurrent caller wait for the first shutdown instead of interleaving with it.
const lifecycle = new Mutex();

export interface ShutdownSummary {
  pending: number;
  delayed: number;
  running: number;
  unfinishedJobIds: number[];
}

export async function shutDown(broker: Broker, server: QueueServer, graceMs: number): Promise<ShutdownSummary> {
  return lifecycle.runExclusive(async () => {
    const log = broker.log;
    log.info("queue.stopping", { graceMs, running: broker.core.counts.running });
    const stoppedAccepting = server.stopAccepting();
    broker.stopTakingWork(graceMs);
    // The grace ends when the last running job reports, or on the clock, whichever comes first.
    if (graceMs > 0) {
      let grace: { cancel(): void } | undefined;
      await Promise.race([broker.whenDrained(), new Promise<void>((resolve) => (grace = broker.clock.after(graceMs, resolve)))]);
      grace?.cancel();
    }
    broker.tick();
    const summary = summarize(broker);
    log.info("queue.stopped", { ...summary, unfinishedJobIds: summary.unfinishedJobIds.slice(0, 50) });
    broker.stopTimer();
    server.closeAll();
    await broker.journal?.close();
    // The listener closes once the peers have gone; a peer that lingers is the OS's to time out,
    // so this bound is wall time, not the queue's clock.
    await Promise.race([stoppedAccepting, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    return summary;
  });
}

function summarize(broker: Broker): ShutdownSummary {
  const unfinished: number[] = [];
  for (const job of broker.core.allJobs()) {
    if (job.state === "pending" || job.state === "delayed" || job.state === "running") unfinished.push(job.id);
  }
  const counts = broker.core.counts;
  return { pending: counts.pending, delayed: counts.delayed, running: counts.running, unfinishedJobIds: unfinished };
}
