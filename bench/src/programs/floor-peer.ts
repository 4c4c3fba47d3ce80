// The floor broker's peers, as bare as it is: a producer or a worker speaking NDJSON over a plain
// socket, with no client or worker library. Same IPC commands and reports as the bench producer
// and bench worker, so workloads B and C read their figures the same way.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { ProducerCommand, ProducerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";
import { connectBare, noteStarts, oneByOneSubmits, pacedSubmits, serveProducerCommands } from "./bare-peer.js";
import { onJsonLines } from "./json-lines.js";

interface Reply {
  id?: number;
  type: string;
  jobIds?: number[];
  jobs?: { jobId: number; lease: number }[];
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    role: { type: "string" },
    id: { type: "string", default: "floor" },
    queues: { type: "string", default: "default" },
    // Every submit with a fresh idempotency key, as the client library sends them: what remembering
    // the keys costs djq's queue, apart from the library's own work.
    keyed: { type: "boolean", default: false },
  },
});
let lastRequestId = 0;
const frame = (message: object) => `${JSON.stringify({ id: ++lastRequestId, ...message })}\n`;
let onReply: (reply: Reply) => void = () => {};
const socket = await connectBare(Number(values.port), (socket) => onJsonLines<Reply>(socket, (reply) => onReply(reply)));

if (values.role === "worker") runWorker();
else runProducer();

function runWorker(): void {
  const { started, report } = noteStarts();
  onReply = (reply) => {
    if (reply.type === "welcome") {
      socket.write(frame({ type: "fetch", max: 1 }));
      report({ type: "ready" });
    } else if (reply.type === "assign") {
      const at = monotonicMs();
      const jobs = reply.jobs ?? [];
      for (const { jobId } of jobs) started(jobId, at);
      const done = jobs.map(({ jobId, lease }) => ({ jobId, lease }));
      socket.write(frame({ type: "complete", jobs: done }) + frame({ type: "fetch", max: 1 }));
    }
  };
  // The floor broker hands out jobs of any queue; djq's queue (workload `bare`) only of the queues named.
  socket.write(frame({ type: "hello", role: "worker", version: 1, workerId: values.id, queues: values.queues.split(",") }));
}

function runProducer(): void {
  const waiting = new Map<number, (jobIds: number[]) => void>();
  let unsettled = 0;
  let allSettled: () => void = () => {};
  onReply = (reply) => {
    if (reply.type === "settled") {
      unsettled -= reply.jobs?.length ?? 0;
      if (unsettled === 0) allSettled();
      return;
    }
    const resolve = reply.id === undefined ? undefined : waiting.get(reply.id);
    if (reply.id !== undefined) waiting.delete(reply.id);
    resolve?.(reply.jobIds ?? []);
  };
  const request = (message: object) =>
    new Promise<number[]>((resolve) => {
      socket.write(frame(message));
      waiting.set(lastRequestId, resolve);
    });
  const submitOne = () => {
    unsettled += 1;
    return request({ type: "submit", jobs: [{ durationMs: 0 }], ...(values.keyed ? { key: randomUUID() } : {}), watch: true });
  };
  const submitUnwatched = (spec: object) => request({ type: "submit", jobs: [spec] });
  const settled = () => (unsettled === 0 ? Promise.resolve() : new Promise<void>((resolve) => (allSettled = resolve)));

  async function run(command: ProducerCommand): Promise<ProducerReport | undefined> {
    if (command.type === "serial") {
      const startedAt = monotonicMs();
      for (let i = 0; i < command.jobs; i++) await submitOne();
      await settled();
      return { type: "serial-done", startedAt, settledAt: monotonicMs(), failed: 0 };
    }
    if (command.type === "paced") {
      const { startedAt, submits } = await pacedSubmits(command.rate, command.durationMs, () => submitOne().then(([jobId]) => jobId as number));
      await settled();
      return { type: "paced-done", startedAt, settledAt: monotonicMs(), submits };
    }
    if (command.type === "one-by-one") {
      const submits = await oneByOneSubmits(command.jobs, () => submitUnwatched(command.spec).then(([jobId]) => jobId as number));
      return { type: "one-by-one-done", submits };
    }
    if (command.type === "exit") process.exit(0);
    throw new Error(`the floor producer does not do "${command.type}"`);
  }

  const report = serveProducerCommands(run);
  void request({ type: "hello", role: "client", version: 1 }).then(() => report({ type: "ready" }));
}
