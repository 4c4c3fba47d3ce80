// The hello: protocol version, the role's secret, and for a worker its place in the core's
// worker registry. The connection takes its role only once the hello is accepted, so a refused
// hello leaves it as it was: it may say hello again, and sends nothing else first.
import { ErrorCode, PROTOCOL_VERSION, type Request } from "@djq/protocol";
import type { Broker } from "./broker.js";
import type { Peer } from "./handlers.js";
import { secretMatches } from "./secret.js";

// {"id":1,"type":"hello","role":"worker","version":1,"workerId":"w1","queues":["default"]}
export function hello(broker: Broker, peer: Peer, request: Extract<Request, { type: "hello" }>): void {
  if (request.version !== PROTOCOL_VERSION) {
    return peer.refuse(request.id, ErrorCode.versionMismatch, `this queue speaks protocol version ${PROTOCOL_VERSION}, not ${request.version}`);
  }
  const config = broker.config;
  const secret = request.role === "client" ? config.clientSecret : config.workerSecret;
  if (secret !== undefined && !secretMatches(request.secret, secret)) {
    return peer.refuse(request.id, ErrorCode.authFailed, `wrong or missing secret for role ${request.role}`);
  }
  let workerId: string | undefined;
  if (request.role === "worker") {
    workerId = request.workerId ?? broker.nameWorker(peer.id);
    const queues = request.queues ?? ["default"];
    const connected = broker.core.connectWorker(broker.clock.now(), workerId, queues, request.holding ?? [], peer.id);
    if (!connected.ok) return peer.refuse(request.id, connected.code, connected.message);
    broker.log.info("worker.connected", {
      worker: workerId,
      conn: peer.id,
      remote: peer.remote,
      queues: queues.join(","),
      resumed: connected.value.resumed,
      holding: request.holding?.length ?? 0,
    });
  } else {
    broker.log.info("client.connected", { conn: peer.id, remote: peer.remote });
  }
  peer.accept?.(request.role, workerId);
  const heartbeat =
    request.role === "worker"
      ? { heartbeatIntervalMs: config.heartbeatIntervalMs, heartbeatTimeoutMs: config.core.heartbeatTimeoutMs }
      : { heartbeatIntervalMs: config.clientHeartbeatIntervalMs, heartbeatTimeoutMs: config.clientHeartbeatTimeoutMs };
  peer.send({ id: request.id, type: "welcome", version: PROTOCOL_VERSION, queueRunId: broker.queueRunId, ...heartbeat, maxFrameBytes: config.maxFrameBytes });
}
