// Runs in a node:worker_threads thread of the worker process: keeps each session's liveness
// connection beating whatever the handlers do to the main event loop, and watches that the queue
// still answers. It carries no job data and must never wait on the libuv threadpool (no dns, fs
// or async crypto: a pool filled by handlers would delay the beats), hence IP addresses in.
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { PROTOCOL_VERSION, type Abandon } from "@djq/protocol";
import { QueueConnection, keepAlive } from "@djq/runtime";
import { mainLoopTurnedAt, type LivenessCommand, type LivenessReport, type LivenessThreadData } from "./liveness-messages.js";

const data = workerData as LivenessThreadData;
const port = parentPort;
if (port === null) throw new Error("liveness-thread.js runs as a worker thread, not on its own");

const report = (message: LivenessReport) => port.postMessage(message);

/** Sessions bound or binding, by id; an unbind that comes while its connection opens closes it once open. */
const sessions = new Map<number, { connection?: QueueConnection }>();

port.on("message", (command: LivenessCommand) => {
  if (command.type === "unbind") {
    sessions.get(command.sessionId)?.connection?.destroy();
    sessions.delete(command.sessionId);
    return;
  }
  const session = {};
  sessions.set(command.sessionId, session);
  bind(command, session).catch((error: Error) =>
    report({ sessionId: command.sessionId, type: "lost", reason: `the liveness connection failed: ${error.message}` }),
  );
});

async function bind(command: Extract<LivenessCommand, { type: "bind" }>, session: { connection?: QueueConnection }): Promise<void> {
  const { sessionId, binding } = command;
  const connection = await QueueConnection.open(command.endpoint, { connectTimeoutMs: binding.heartbeatTimeoutMs });
  if (sessions.get(sessionId) !== session) {
    connection.destroy();
    return;
  }
  session.connection = connection;
  connection.onClose((error) => {
    if (sessions.get(sessionId) !== session) return;
    sessions.delete(sessionId);
    report({ sessionId, type: "lost", reason: `the liveness connection closed${error ? `: ${error.message}` : ""}` });
  });
  connection.onPush((message) => {
    if (message.type === "abandon") watchForStuckLoop(sessionId, message, command.stuckLoopKillMs);
  });
  // {"id":1,"type":"hello","role":"liveness","version":1,"workerId":"w1","livenessToken":"9f2c…"}
  await connection.request({
    type: "hello",
    role: "liveness",
    version: PROTOCOL_VERSION,
    workerId: binding.workerId,
    livenessToken: binding.livenessToken,
    ...(binding.secret !== undefined ? { secret: binding.secret } : {}),
  });
  report({ sessionId, type: "bound" });
  keepAlive(connection, {
    intervalMs: binding.heartbeatIntervalMs,
    silenceMs: binding.silenceMs,
    onSilent: (silentMs) => connection.destroy(new Error(`the queue was silent for ${silentMs} ms (timeout ${binding.silenceMs} ms)`)),
  });
}

/**
 * The queue took back an attempt. If the main loop then stays blocked for `stuckLoopKillMs`, a
 * handler holds it and nothing on it can run: end the process, the one way to stop a synchronous
 * loop from outside, so that its supervisor starts a fresh one. Cancellations do not count: a
 * client's cancel says nothing about how long a handler may hold the loop.
 */
function watchForStuckLoop(sessionId: number, abandon: Abandon, stuckLoopKillMs: number): void {
  if (stuckLoopKillMs <= 0 || abandon.reason === "cancelled") return;
  const abandonedAt = Date.now();
  setTimeout(() => {
    const turnedAt = mainLoopTurnedAt(data.loopStamp);
    if (turnedAt >= abandonedAt) {
      report({ sessionId, type: "loop-turned", jobId: abandon.jobId, lease: abandon.lease });
      return;
    }
    // Written straight to stderr: the main thread, which carries this thread's console, is stuck.
    const fields = { jobId: abandon.jobId, lease: abandon.lease, reason: abandon.reason, blockedMs: Date.now() - turnedAt };
    writeSync(2, `${JSON.stringify({ at: new Date().toISOString(), level: "error", program: "worker", event: "liveness.killing-stuck-process", ...fields })}\n`);
    process.kill(process.pid, "SIGKILL");
  }, stuckLoopKillMs).unref();
}
