// The queue as a library: start one inside any Node program (tests do, on port 0).
import { warmUpRequestParser } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import { Broker } from "./broker.js";
import { systemClock, type Clock } from "./clock.js";
import { defaultQueueConfig, type QueueConfig } from "./queue-config.js";
import { QueueServer } from "./server.js";
import { shutDown, type ShutdownSummary } from "./shutdown.js";

export { Broker } from "./broker.js";
export type { Timer } from "./clock.js";
export { ManualClock, systemClock, type Clock } from "./clock.js";
export { defaultQueueConfig, type QueueConfig } from "./queue-config.js";
export { defaultJournalSettings, type JournalSettings } from "./queue-journal.js";
export type { ShutdownSummary } from "./shutdown.js";

/** A run's first lease: 1,024 per millisecond of wall time since 1970, so a later run starts
 * above every lease of an earlier one unless that run handed out more than 1,024 a millisecond
 * over its whole life, or the clock stepped back between them. Safe integers last until 2248. */
export function leaseFloor(epochMs: number): number {
  return Math.max(1, Math.floor(epochMs) * 1024);
}

export interface RunningQueue {
  broker: Broker;
  server: QueueServer;
  host: string;
  port: number;
  shutDown(graceMs?: number): Promise<ShutdownSummary>;
}

export async function startQueueServer(
  config: Partial<QueueConfig>,
  log: Logger,
  clock: Clock = systemClock,
): Promise<RunningQueue> {
  const base: QueueConfig = { ...defaultQueueConfig, ...config };
  // Leases of this run start above any an earlier run could have handed out (docs/protocol.md).
  const full: QueueConfig = { ...base, core: { ...base.core, firstLease: Math.max(base.core.firstLease, leaseFloor(clock.now())) } };
  warmUpRequestParser();
  const broker = new Broker(full, clock, log);
  await broker.openJournal();
  const server = new QueueServer(broker, full, log);
  const address = await server.listen();
  return {
    broker,
    server,
    ...address,
    shutDown: (graceMs = full.graceMs) => shutDown(broker, server, graceMs),
  };
}
