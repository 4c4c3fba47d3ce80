// What the dashboard may see and do, and nothing more. Reads go to the core with the clock's
// time; cancel and retry run the very handlers a wire request runs, answered to a stand-in peer.
import { ErrorCode, type JobState, type JobView, type Request, type RequestId, type ServerMessage } from "@djq/protocol";
import { assignmentLatencyBoundsMs, type Result, type StatsView } from "@djq/core";
import type { Broker } from "../broker.js";
import { handlers, type Peer } from "../handlers.js";

export type Snapshot = StatsView & { at: number; queueRunId: string };

/** The dashboard's own peer id: not a connection, so no effect is ever addressed to it. */
const DASHBOARD_PEER = -1;

export class QueueFacade {
  constructor(private readonly broker: Broker) {}

  /** What a `stats` reply carries, at the clock's time. */
  snapshot(): Snapshot {
    const { id: _id, type: _type, ...snapshot } = this.run({ id: 0, type: "stats" }) as Extract<ServerMessage, { type: "stats" }>;
    return snapshot;
  }

  lookUp(jobId: number): Result<JobView> {
    const reply = this.run({ id: 0, type: "status", jobId });
    return reply.type === "job" ? { ok: true, value: reply.job } : refusal(reply);
  }

  cancel(jobId: number, by: string): Result<JobState> {
    const found = this.broker.core.lookUp(this.broker.clock.now(), jobId);
    const was = found.ok ? found.value.state : undefined;
    const reply = this.run({ id: 0, type: "cancel", jobId }, by);
    if (reply.type !== "ok" || was === undefined) return refusal(reply);
    return { ok: true, value: was };
  }

  retry(jobId: number, by: string): Result<void> {
    const reply = this.run({ id: 0, type: "retry", jobId }, by);
    return reply.type === "ok" ? { ok: true, value: undefined } : refusal(reply);
  }

  /** Runs `reply` once the change just made is on disk (at once without the journal), or `failed`
   * if it never will be: the dashboard acknowledges a cancel or retry no sooner than a wire peer. */
  whenRecorded(reply: () => void, failed: (refused: { ok: false; code: ErrorCode; message: string }) => void): void {
    const gate = this.broker.journal?.gate;
    if (gate === undefined) return reply();
    gate.whenDurable(gate.required, () => {
      if (gate.failure === undefined) reply();
      else failed({ ok: false, code: ErrorCode.journalUnavailable, message: gate.failure });
    });
  }

  /** A page of jobs in a state, as the wire's `list` answers it (the same handler, the same cursor). */
  list(query: { state: JobState; after?: number; limit?: number }): Result<{ jobs: JobView[]; next?: number }> {
    const reply = this.run({ id: 0, type: "list", ...query });
    if (reply.type !== "jobs") return refusal(reply);
    return { ok: true, value: reply.next === undefined ? { jobs: reply.jobs } : { jobs: reply.jobs, next: reply.next } };
  }

  /** With the journal: its bytes not yet on disk (with the replies held for them) and their bound. */
  journalBacklog(): { bytes: number; limitBytes: number; full: boolean } | undefined {
    const backlog = this.broker.journal?.backlog;
    return backlog === undefined ? undefined : { bytes: backlog.bytes, limitBytes: backlog.limitBytes, full: backlog.full };
  }

  /** Waits from ready to assigned so far, per bucket: a copy, so readers cannot change the core. */
  assignmentLatency(): { boundsMs: readonly number[]; counts: number[]; count: number; sumMs: number } {
    const latency = this.broker.core.assignmentLatency;
    return { boundsMs: assignmentLatencyBoundsMs, counts: [...latency.counts], count: latency.count, sumMs: latency.sumMs };
  }

  /** Runs the request's wire handler and the effects it caused; returns the one reply. */
  private run(request: Request, by?: string): ServerMessage {
    let reply: ServerMessage | undefined;
    const peer: Peer = {
      id: DASHBOARD_PEER,
      role: "client",
      by,
      send: (message) => void (reply = message),
      sendLingering: (message) => void (reply = message),
      sendFrame: (frame) => void (reply = JSON.parse(frame) as ServerMessage),
      outputRoomBytes: Number.POSITIVE_INFINITY,
      overflow: () => {
        throw new Error(`the ${request.type} reply overflowed no output buffer`);
      },
      refuse: (id: RequestId | undefined, code: ErrorCode, message: string) => void (reply = { id: id ?? 0, type: "error", code, message }),
    };
    this.broker.request(peer, request);
    if (reply === undefined) throw new Error(`the ${request.type} handler sent no reply`);
    return reply;
  }
}

function refusal(reply: ServerMessage): { ok: false; code: ErrorCode; message: string } {
  if (reply.type === "error") return { ok: false, code: reply.code, message: reply.message };
  return { ok: false, code: ErrorCode.internal, message: `unexpected ${reply.type} reply` };
}
