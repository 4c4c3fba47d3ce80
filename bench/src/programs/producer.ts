// A client process for the bench: it connects with the client library, says "ready" over IPC,
// then runs the submit patterns the orchestrator asks for and reports times taken on the shared
// monotonic clock. It measures; it decides nothing about what a result means.
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";
import { connectClient, type JobId } from "@djq/client";
import type { ProducerCommand, ProducerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";

const { values } = parseArgs({ options: { port: { type: "string" } } });
const connect = () => connectClient({ port: Number(values.port), reconnect: { giveUpAfterMs: 5_000 } });
let client = await connect();
const report = (message: ProducerReport) => process.send?.(message);

/** Jobs that settled other than `completed`: a benchmark run with any of these is suspect. */
async function waitAll(ids: JobId[]): Promise<number> {
  const settled = await client.waitFor(ids);
  let failed = 0;
  for (const job of settled.values()) if (job.state !== "completed") failed += 1;
  return failed;
}

async function run(command: ProducerCommand): Promise<ProducerReport | undefined> {
  switch (command.type) {
    case "bulk": {
      if (command.freshClient === true) {
        await client.close();
        client = await connect();
      }
      // The specs exist before the clock starts, as they would in the caller's program.
      const specs = Array.from({ length: command.jobs }, () => ({ ...command.spec }));
      const startedAt = monotonicMs();
      if (command.resumeBefore !== undefined) await client.resume(command.resumeBefore);
      const ids = await client.submit(specs, { watch: true });
      const submittedAt = monotonicMs();
      const failed = await waitAll(ids);
      const settledAt = monotonicMs();
      if (command.pauseAfter !== undefined) await client.pause(command.pauseAfter, { create: true });
      return { type: "bulk-done", startedAt, submittedAt, settledAt, failed };
    }
    case "serial": {
      const ids: JobId[] = [];
      const startedAt = monotonicMs();
      for (let i = 0; i < command.jobs; i++) ids.push(...(await client.submit(command.spec, { watch: true })));
      const failed = await waitAll(ids);
      return { type: "serial-done", startedAt, settledAt: monotonicMs(), failed };
    }
    case "paced": {
      const total = Math.round((command.rate * command.durationMs) / 1000);
      const submits: [number, number][] = [];
      const replies: Promise<void>[] = [];
      const startedAt = monotonicMs();
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((monotonicMs() - startedAt) * command.rate) / 1000) + 1);
        for (; sent < due; sent++) {
          const at = monotonicMs();
          replies.push(client.submit(command.spec, { watch: true }).then(([id]) => void submits.push([id as number, at])));
        }
        // Pacing only: each job's latency is timed from its own submit, whenever that happened.
        await delay(1);
      }
      await Promise.all(replies);
      await waitAll(submits.map(([id]) => id));
      return { type: "paced-done", startedAt, settledAt: monotonicMs(), submits };
    }
    case "fill": {
      const specs = Array.from({ length: command.jobs }, () => ({ ...command.spec }));
      const startedAt = monotonicMs();
      await client.submit(specs);
      return { type: "fill-done", startedAt, submittedAt: monotonicMs() };
    }
    case "exit":
      await client.close();
      process.exit(0);
  }
}

process.on("message", (command: ProducerCommand) => {
  run(command).then(
    (reply) => reply && report(reply),
    (error: Error) => report({ type: "error", message: error.stack ?? error.message }),
  );
});
report({ type: "ready" });
