// One short handler per request type, each with its wire form above it. Handlers hold no
// business logic: they call the core with the clock's time and reply. The broker runs them for
// the wire, the dashboard for its cancel and retry buttons; hello is in hello.ts.
import { ErrorCode, maxReportsPerMessage, type Refusal, type Request, type RequestId, type Role, type ServerMessage } from "@djq/protocol";
import { jobView, type ConnectionId } from "@djq/core";
import { ackWithin } from "./ack-frame.js";
import type { Broker } from "./broker.js";
import type { Delivery } from "./connection.js";
import { hello } from "./hello.js";
import { measurePayloads, measureResults } from "./job-sizes.js";
import { sendJobsPage } from "./jobs-page.js";
import { sendStats } from "./stats-frame.js";
import { submissionDigest } from "./submission-digest.js";

/** What a reply built piece by piece writes to: frames, measured against the peer's output bound. */
export interface FramedPeer {
  send(message: ServerMessage, delivery?: Delivery): void;
  /** Queues an encoded frame, or drops the peer if the frame would take it past its output bound. */
  sendFrame(frame: string, frameBytes?: number): void;
  /** Bytes that may still be queued for this peer. */
  readonly outputRoomBytes: number;
  /** The peer does not read what it asks for: drop it before its next reply exists in full. */
  overflow(replyBytes: number): void;
}

/** Whoever a handler answers: a connection, or the dashboard acting for an operator. */
export interface Peer extends FramedPeer {
  readonly id: ConnectionId;
  readonly role: Role | undefined;
  /** Who asked, for the log, when it was not a wire peer (the dashboard's caller). */
  readonly by?: string | undefined;
  readonly remote?: string;
  send(message: ServerMessage, delivery?: Delivery): void;
  /** Sends a reply the peer does not wait on to go on with its work; it may leave with the next one. */
  sendLingering(message: ServerMessage): void;
  /** Takes the role a hello was accepted for; `name` is the worker id, for log lines. */
  accept?(role: Role, name: string | undefined): void;
  refuse(id: RequestId | undefined, code: ErrorCode, message: string): void;
}

export type Handler<T extends Request["type"]> = (broker: Broker, peer: Peer, request: Extract<Request, { type: T }>) => void;

/** The worker on this connection; the connection layer lets only workers send worker requests. */
const workerOf = (broker: Broker, peer: Peer): string => broker.core.workerOn(peer.id) ?? `(no worker on connection ${peer.id})`;
const ok = (peer: Peer, id: RequestId) => () => peer.send({ id, type: "ok" });

export const handlers: { [T in Request["type"]]: Handler<T> } = {
  hello,

  // {"id":3,"type":"heartbeat"}
  heartbeat(_broker, peer, request) {
    peer.send({ id: request.id, type: "heartbeat" }, "in-order");
  },

  // {"id":2,"type":"submit","jobs":[{"durationMs":500}],"watch":true}
  submit(broker, peer, request) {
    if (broker.stopping) return peer.refuse(request.id, ErrorCode.shuttingDown, "the queue is shutting down and takes no new jobs");
    const sizes = measurePayloads(request.jobs, broker.config);
    if (!sizes.ok) {
      return peer.refuse(request.id, ErrorCode.payloadTooLarge, `jobs[${sizes.index}].payload is ${sizes.bytes} bytes; the limit is ${sizes.limit}, so that the job fits in one frame`);
    }
    const bodyDigest = request.key === undefined ? undefined : submissionDigest(request.jobs);
    const options = { key: request.key, bodyDigest, watchedBy: request.watch ? peer.id : undefined, payloadBytes: sizes.bytes };
    const result = broker.core.submit(broker.clock.now(), request.jobs, options);
    broker.answer(peer, request.id, result, (jobIds) => {
      peer.send({ id: request.id, type: "submitted", jobIds });
      if (broker.log.enabled("debug")) broker.log.debug("jobs.submitted", { conn: peer.id, count: jobIds.length, first: jobIds[0], last: jobIds[jobIds.length - 1] });
    });
  },

  // {"id":3,"type":"status","jobId":1}
  status(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.lookUp(broker.clock.now(), request.jobId), (job) =>
      peer.send({ id: request.id, type: "job", job: jobView(job) }),
    );
  },

  // {"id":4,"type":"watch","jobIds":[1,2]}
  watch(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.watch(broker.clock.now(), request.jobIds, peer.id), ok(peer, request.id));
  },

  // {"id":5,"type":"cancel","jobId":1}
  cancel(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.cancel(broker.clock.now(), request.jobId), (was) => {
      broker.log.info("job.cancelled", { job: request.jobId, was, by: peer.by });
      peer.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":6,"type":"retry","jobId":1}
  retry(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.retry(broker.clock.now(), request.jobId), () => {
      broker.log.info("job.retried", { job: request.jobId, by: peer.by });
      peer.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":7,"type":"list","state":"failed","limit":50}
  list(broker, peer, request) {
    sendJobsPage(broker.core, broker.clock.now(), peer, request.id, request, broker.config.maxFrameBytes);
  },

  // {"id":8,"type":"stats"}
  stats(broker, peer, request) {
    const now = broker.clock.now();
    sendStats(peer, { id: request.id, type: "stats", at: now, queueRunId: broker.queueRunId, ...broker.core.stats(now) }, broker.config.maxFrameBytes);
  },

  // {"id":9,"type":"pause","queue":"default"}
  pause(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.pause(broker.clock.now(), request.queue, request.create === true), () => {
      broker.log.info("queue.paused", { queue: request.queue });
      peer.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":10,"type":"resume","queue":"default"}
  resume(broker, peer, request) {
    broker.answer(peer, request.id, broker.core.resume(broker.clock.now(), request.queue, request.create === true), () => {
      broker.log.info("queue.resumed", { queue: request.queue });
      peer.send({ id: request.id, type: "ok" });
    });
  },

  // {"id":4,"type":"fetch","max":1}   answered by "assign" when jobs are there
  fetch(broker, peer, request) {
    if (broker.stopping) return; // held unanswered: a stopping queue hands out nothing
    const result = broker.core.fetch(broker.clock.now(), workerOf(broker, peer), request.id, request.max, request.skipTypes);
    if (!result.ok) peer.refuse(request.id, result.code, result.message);
  },

  // {"id":5,"type":"withdraw"}
  withdraw(broker, peer, request) {
    broker.core.withdraw(broker.clock.now(), workerOf(broker, peer));
    peer.send({ id: request.id, type: "ok" });
  },

  // {"id":6,"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
  complete(broker, peer, request) {
    acknowledge(broker, peer, request, "job.completed", "debug", (now, workerId) => broker.core.complete(now, workerId, request.jobs, measureResults(request.jobs)));
  },

  // {"id":7,"type":"fail","jobs":[{"jobId":1,"lease":1,"error":"boom"}]}
  fail(broker, peer, request) {
    acknowledge(broker, peer, request, "job.attempt-failed", "info", (now, workerId) => broker.core.fail(now, workerId, request.jobs));
  },

  // {"id":10,"type":"release","jobs":[{"jobId":1,"lease":1}]}
  release(broker, peer, request) {
    acknowledge(broker, peer, request, "job.released", "info", (now, workerId) => broker.core.release(now, workerId, request.jobs));
  },

  // {"id":8,"type":"extend","jobId":1,"lease":1}
  extend(broker, peer, request) {
    const result = broker.core.extend(broker.clock.now(), workerOf(broker, peer), request.jobId, request.lease);
    broker.answer(peer, request.id, result, ok(peer, request.id));
  },

  // {"id":9,"type":"progress","jobId":1,"lease":1,"percent":40,"message":"resizing"}
  progress(broker, peer, request) {
    const progress = request.message === undefined ? { percent: request.percent } : { percent: request.percent, message: request.message };
    const result = broker.core.progress(broker.clock.now(), workerOf(broker, peer), request.jobId, request.lease, progress);
    broker.answer(peer, request.id, result, ok(peer, request.id));
  },
};

/** Answers a batch of reports with one `ack` naming the refused ones, and logs each: the accepted
 * at `level`, the refused as warnings. */
function acknowledge(
  broker: Broker,
  peer: Peer,
  request: { id: RequestId; jobs: readonly { jobId: number; lease: number; error?: string }[] },
  event: string,
  level: "debug" | "info",
  report: (now: number, workerId: string) => Refusal[],
): void {
  const maxReports = maxReportsPerMessage(broker.config.maxFrameBytes);
  if (request.jobs.length > maxReports) {
    return peer.refuse(request.id, ErrorCode.batchTooLarge, `${request.jobs.length} reports in one message; the limit is ${maxReports}, so that their ack fits in one frame`);
  }
  const workerId = workerOf(broker, peer);
  const refused = report(broker.clock.now(), workerId);
  peer.sendLingering(ackWithin(request.id, refused, broker.config.maxFrameBytes));
  const logAccepted = broker.log.enabled(level);
  if (!logAccepted && refused.length === 0) return;
  // Refusals come in the order of the items they refuse: walking both together pairs them, so
  // a job named twice in one batch (done once, refused once) is still logged once.
  let next = 0;
  for (const item of request.jobs) {
    if (refused[next]?.jobId === item.jobId) next += 1;
    else if (logAccepted) broker.log[level](event, { job: item.jobId, worker: workerId, lease: item.lease, error: item.error });
  }
  for (const refusal of refused) {
    broker.log.warn("report.refused", { job: refusal.jobId, worker: workerId, code: refusal.code, reason: refusal.message });
  }
}
