// A calibration, not a queue: the least a job broker written in Node can do on this machine. It
// speaks the subset of djq's protocol the floor peers use (hello, submit with watch, fetch of one,
// complete, heartbeat), keeps jobs in an array, validates nothing and remembers nothing else.
// Workloads B and C run through it show what any Node queue here works under.
import net from "node:net";
import { parseArgs } from "node:util";
import { onJsonLines } from "./json-lines.js";

interface Peer {
  send(message: object): void;
  flush(): void;
  worker: boolean;
  fetchId: number;
}

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const pending: number[] = [];
const waiting: Peer[] = [];
const watchers = new Map<number, Peer>();
/** Peers with output, written once the chunk at hand is handled: workers first, as djq's queue does. */
const unflushed = new Set<Peer>();
let lastJobId = 0;
let lastLease = 0;

function assign(worker: Peer, jobId: number): void {
  const job = { jobId, lease: ++lastLease, attempt: 1, queue: "default", type: "sleep", durationMs: 0, timeoutMs: 60_000, maxAttempts: 5 };
  worker.send({ id: worker.fetchId, type: "assign", jobs: [job] });
}

function flushAll(): void {
  for (const peer of unflushed) if (peer.worker) peer.flush();
  for (const peer of unflushed) if (!peer.worker) peer.flush();
  unflushed.clear();
}

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  let unsent = "";
  const peer: Peer = {
    send: (message) => {
      unsent += `${JSON.stringify(message)}\n`;
      unflushed.add(peer);
    },
    flush: () => {
      socket.write(unsent);
      unsent = "";
    },
    worker: false,
    fetchId: 0,
  };
  onJsonLines<Parameters<typeof handle>[1]>(socket, (message) => handle(peer, message), flushAll);
}

function handle(peer: Peer, message: { id: number; type: string; role?: string; watch?: boolean; jobs: { jobId: number }[] }): void {
  switch (message.type) {
    case "hello":
      peer.worker = message.role === "worker";
      peer.send({ id: message.id, type: "welcome", version: 1, queueRunId: "floor", heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 5_000, maxFrameBytes: 1_048_576 });
      return;
    case "heartbeat":
      peer.send({ id: message.id, type: "heartbeat" });
      return;
    case "submit": {
      const jobIds = message.jobs.map(() => ++lastJobId);
      for (const jobId of jobIds) {
        if (message.watch === true) watchers.set(jobId, peer);
        const worker = waiting.shift();
        if (worker === undefined) pending.push(jobId);
        else assign(worker, jobId);
      }
      peer.send({ id: message.id, type: "submitted", jobIds });
      return;
    }
    case "fetch": {
      peer.fetchId = message.id;
      const jobId = pending.shift();
      if (jobId === undefined) waiting.push(peer);
      else assign(peer, jobId);
      return;
    }
    case "complete":
      peer.send({ id: message.id, type: "ack", refused: [] });
      for (const { jobId } of message.jobs) {
        const watcher = watchers.get(jobId);
        watchers.delete(jobId);
        watcher?.send({ type: "settled", jobs: [{ jobId, state: "completed" }] });
      }
  }
}

const server = net.createServer(serve);
server.listen(Number(values.port), "127.0.0.1", () => {
  process.send?.({ type: "ready", port: (server.address() as net.AddressInfo).port });
});
process.on("SIGTERM", () => process.exit(0));
