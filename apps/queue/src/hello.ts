// The hello: protocol version, the role's secret, and for a worker (or a worker's liveness
// connection) its place in the core's worker registry. The connection takes its role only once
// the hello is accepted, so a refused hello leaves it as it was: it may say hello again, and
// sends nothing else first.
import { randomBytes } from "node:crypto";
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
  if (request.role === "liveness") return bindLiveness(broker, peer, request);
  let workerId: string | undefined;
  let livenessToken: string | undefined;
  if (request.role === "worker") {
    workerId = request.workerId ?? broker.nameWorker(peer.id);
    const queues = request.queues ?? ["default"];
    livenessToken = randomBytes(16).toString("hex");
    const connected = broker.core.connectWorker(broker.clock.now(), workerId, queues, request.holding ?? [], peer.id, livenessToken);
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
  welcome(broker, peer, request, livenessToken);
}

// {"id":1,"type":"hello","role":"liveness","version":1,"workerId":"w1","livenessToken":"9f2c…"}
// A worker's second connection, from a thread its handlers cannot block: its beats keep the
// session alive while the worker's main loop is busy, and abandons reach it there too.
function bindLiveness(broker: Broker, peer: Peer, request: Extract<Request, { type: "hello" }>): void {
  const bound = broker.core.bindLiveness(broker.clock.now(), request.workerId, peer.id, (token) => secretMatches(request.livenessToken, token));
  if (!bound.ok) return peer.refuse(request.id, bound.code, bound.message);
  broker.log.info("worker.liveness-bound", { worker: request.workerId, conn: peer.id });
  peer.accept?.("liveness", request.workerId);
  welcome(broker, peer, request, undefined);
}

function welcome(broker: Broker, peer: Peer, request: Extract<Request, { type: "hello" }>, livenessToken: string | undefined): void {
  const config = broker.config;
  const heartbeat =
    request.role === "client"
      ? { heartbeatIntervalMs: config.clientHeartbeatIntervalMs, heartbeatTimeoutMs: config.clientHeartbeatTimeoutMs }
      : { heartbeatIntervalMs: config.heartbeatIntervalMs, heartbeatTimeoutMs: config.core.heartbeatTimeoutMs };
  const welcome = { id: request.id, type: "welcome", version: PROTOCOL_VERSION, queueRunId: broker.queueRunId, ...heartbeat, maxFrameBytes: config.maxFrameBytes } as const;
  peer.send(livenessToken === undefined ? welcome : { ...welcome, livenessToken });
}
