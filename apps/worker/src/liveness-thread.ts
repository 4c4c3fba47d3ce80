// Runs in a node:worker_threads thread of the worker process: keeps the session's liveness
// connection beating whatever the handlers do to the main event loop, and watches that the queue
// still answers. It carries no job data and must never wait on the libuv threadpool (no dns, fs
// or async crypto: a pool filled by handlers would delay the beats), hence an IP address in.
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { PROTOCOL_VERSION, type Abandon } from "@djq/protocol";
import { QueueConnection, keepAlive } from "@djq/runtime";
import { mainLoopTurnedAt, type LivenessBinding, type LivenessReport, type LivenessThreadData } from "./liveness-messages.js";

const data = workerData as LivenessThreadData;
const port = parentPort;
if (port === null) throw new Error("liveness-thread.js runs as a worker thread, not on its own");

const report = (message: LivenessReport) => port.postMessage(message);

port.once("message", (binding: LivenessBinding) => {
  bind(binding).catch((error: Error) => report({ type: "lost", reason: `the liveness connection failed: ${error.message}` }));
});

async function bind(binding: LivenessBinding): Promise<void> {
  const connection = await QueueConnection.open(data.endpoint, { connectTimeoutMs: binding.heartbeatTimeoutMs });
  connection.onClose((error) => report({ type: "lost", reason: `the liveness connection closed${error ? `: ${error.message}` : ""}` }));
  connection.onPush((message) => {
    if (message.type === "abandon") watchForStuckLoop(message);
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
  report({ type: "bound" });
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
function watchForStuckLoop(abandon: Abandon): void {
  if (data.stuckLoopKillMs <= 0 || abandon.reason === "cancelled") return;
  const abandonedAt = Date.now();
  setTimeout(() => {
    const turnedAt = mainLoopTurnedAt(data.loopStamp);
    if (turnedAt >= abandonedAt) {
      report({ type: "loop-turned", jobId: abandon.jobId, lease: abandon.lease });
      return;
    }
    // Written straight to stderr: the main thread, which carries this thread's console, is stuck.
    const fields = { jobId: abandon.jobId, lease: abandon.lease, reason: abandon.reason, blockedMs: Date.now() - turnedAt };
    writeSync(2, `${JSON.stringify({ at: new Date().toISOString(), level: "error", program: "worker", event: "liveness.killing-stuck-process", ...fields })}\n`);
    process.kill(process.pid, "SIGKILL");
  }, data.stuckLoopKillMs).unref();
}
