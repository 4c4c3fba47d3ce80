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
export type { ShutdownSummary } from "./shutdown.js";

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
  const full: QueueConfig = { ...defaultQueueConfig, ...config };
  warmUpRequestParser();
  const broker = new Broker(full, clock, log);
  const server = new QueueServer(broker, full, log);
  const address = await server.listen();
  return {
    broker,
    server,
    ...address,
    shutDown: (graceMs = full.graceMs) => shutDown(broker, server, graceMs),
  };
}
