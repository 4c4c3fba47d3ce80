// Holds --clients client-library connections open and does nothing with them but what the
// library does on its own (a heartbeat per heartbeat interval each), until it is killed.
import { parseArgs } from "node:util";
import { connectClient, type DjqClient } from "@djq/client";
import type { IdleClientsReport } from "../bench-messages.js";

const { values } = parseArgs({ options: { port: { type: "string" }, clients: { type: "string", default: "1000" } } });
const report = (message: IdleClientsReport) => process.send?.(message);
const wanted = Number(values.clients);
const clients: DjqClient[] = [];
try {
  // A few at a time, so the queue's accept backlog is never the thing being measured.
  while (clients.length < wanted) {
    const batch = Math.min(50, wanted - clients.length);
    clients.push(...(await Promise.all(Array.from({ length: batch }, () => connectClient({ port: Number(values.port) })))));
  }
  report({ type: "ready", opened: clients.length });
} catch (error) {
  report({ type: "error", message: (error as Error).message });
}
