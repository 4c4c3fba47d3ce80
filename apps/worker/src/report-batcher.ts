// Collects the outcomes of finished attempts and sends those made in the same tick as one
// `complete` and one `fail` message, so a busy worker costs the queue one request per batch, not
// per job. One batch is in flight at a time: reports made while it waits for its ack form the
// next, larger batch, sent when the ack comes. Reports outlive sessions: ones that could not be
// delivered wait for the next session.
import { DEFAULT_FRAME_BYTES, ErrorCode, maxReportsPerMessage, type CompletedJob, type FailedJob, type HeldLease, type JobId, type Lease } from "@djq/protocol";
import { QueueError, type Logger } from "@djq/runtime";
import type { Session } from "./session.js";

export type Report =
  | { kind: "complete"; item: CompletedJob; bytes: number }
  | { kind: "fail"; item: FailedJob; bytes: number };

export interface ReportBatcherOptions {
  /** The session to send on: undefined while there is none, and while one is being set up. */
  session: () => Session | undefined;
  logger: Logger;
  /** Called whenever a batch's acks are in, so a stopping worker can see its reports drain. */
  onFlushed: () => void;
  /**
   * Called right after a flush has written its reports, in the same tick: a request made now goes
   * out in the same write as the reports (the worker fetches again here, for the slots they free).
   */
  onSent?: () => void;
  /** Each report once the queue answered it: accepted (no refusal) or refused. Not called for reports lost with a connection (they are sent again). */
  onAcked?: (report: Report, refusal: { code: ErrorCode; message: string } | undefined) => void;
}

/** Room left in a frame for the message around the items. */
const ENVELOPE_BYTES = 64;

export class ReportBatcher {
  private buffer: Report[] = [];
  /** The messages sent and not yet acknowledged, and how many reports they hold together. */
  private readonly inFlight = new Set<Report[]>();
  private inFlightReports = 0;
  /** The batch in flight: settles once every one of its messages is acknowledged or lost. */
  private sending: Promise<unknown> | undefined;
  private scheduled = false;

  constructor(private readonly options: ReportBatcherOptions) {}

  /** Reports not yet acknowledged by the queue, sent or not. */
  get size(): number {
    return this.buffer.length + this.inFlightReports;
  }

  /** Leases whose outcome the queue has not acknowledged: they belong in a reconnect's `holding`. */
  held(): HeldLease[] {
    return [...this.buffer, ...[...this.inFlight].flat()].map(({ item }) => ({ jobId: item.jobId, lease: item.lease }));
  }

  add(report: Report): void {
    this.buffer.push(report);
    this.schedule();
  }

  /** Forgets an unsent report (its attempt was abandoned); returns whether there was one. */
  drop(jobId: JobId, lease: Lease): boolean {
    const before = this.buffer.length;
    this.buffer = this.buffer.filter(({ item }) => item.jobId !== jobId || item.lease !== lease);
    return this.buffer.length !== before;
  }

  /** Forgets every unsent report; returns how many there were. */
  clear(): number {
    const dropped = this.buffer.length;
    this.buffer = [];
    return dropped;
  }

  /** Whether reports wait for a flush scheduled for the end of this tick that will send them then. */
  get sendingSoon(): boolean {
    return this.scheduled && this.buffer.length > 0 && this.sending === undefined;
  }

  /** Flushes at the end of this tick, after every attempt settling in it has been added. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Sends everything buffered, unless a batch is in flight: its ack sends what piled up meanwhile.
   * All of it happens in this call, with no await between the check and the send, so no lock is
   * needed: a session being set up is not handed out until its welcome is in, and the requests of
   * a lost one have failed (and put their reports back) before the next one is set up.
   */
  flush(): void {
    const session = this.options.session();
    if (this.sending !== undefined || session === undefined || session.closed || this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const maxFrameBytes = session.welcome.maxFrameBytes || DEFAULT_FRAME_BYTES;
    const limits = { maxBytes: maxFrameBytes - ENVELOPE_BYTES, maxReports: maxReportsPerMessage(maxFrameBytes) };
    const messages = [...split(batch, "complete", limits), ...split(batch, "fail", limits)];
    for (const reports of messages) this.inFlight.add(reports);
    this.inFlightReports += batch.length;
    const sending = Promise.all(messages.map((reports) => this.send(session, reports))).finally(() => {
      this.sending = undefined;
      this.options.onFlushed();
      // Reports added while this batch waited (or put back after a lost connection) go next.
      this.flush();
    });
    this.sending = sending;
    this.options.onSent?.();
  }

  /** Sends what is buffered and resolves once no batch is in flight: a stopping worker's last reports. */
  async drain(): Promise<void> {
    this.flush();
    while (this.sending !== undefined) {
      await this.sending;
      this.flush();
    }
  }

  /** The queue will not keep this result: the attempt fails for good, with the queue's reason,
   * instead of running until its lease times out and again on every retry. */
  private failInstead(reports: Report[], jobId: JobId, reason: string): void {
    const refused = reports.find((r) => r.item.jobId === jobId);
    if (refused === undefined) return;
    const item: FailedJob = { jobId, lease: refused.item.lease, error: reason.slice(0, 4096), permanent: true };
    this.add({ kind: "fail", item, bytes: Buffer.byteLength(JSON.stringify(item)) });
  }

  private async send(session: Session, reports: Report[]): Promise<void> {
    const kind = reports[0]?.kind ?? "complete";
    try {
      // {"id":6,"type":"complete","jobs":[…]} or {"id":7,"type":"fail","jobs":[…]}  →  {"type":"ack","refused":[…]}
      const ack =
        kind === "complete"
          ? await session.connection.request({ type: "complete", jobs: reports.map((r) => r.item as CompletedJob) })
          : await session.connection.request({ type: "fail", jobs: reports.map((r) => r.item as FailedJob) });
      if (this.options.logger.enabled("debug")) {
        // What the queue acknowledged, as jobId:lease: the record of which reports counted.
        const refused = new Set(ack.refused.map((refusal) => refusal.jobId));
        const accepted = reports.filter((r) => !refused.has(r.item.jobId)).map((r) => `${r.item.jobId}:${r.item.lease}`);
        if (accepted.length > 0) this.options.logger.debug("report.acked", { report: kind, jobs: accepted.join(",") });
      }
      for (const refusal of ack.refused) {
        // Expected after a lost session or a queue restart: the queue moved on without us.
        this.options.logger.warn("report.refused", { report: kind, jobId: refusal.jobId, code: refusal.code, reason: refusal.message });
        if (refusal.code === ErrorCode.resultTooLarge) this.failInstead(reports, refusal.jobId, refusal.message);
      }
      this.tellAcked(reports, ack.refused);
    } catch (error) {
      if (error instanceof QueueError) {
        // The whole message was refused; sending it again would be refused again, forever.
        this.options.logger.error("report.rejected", { report: kind, jobs: reports.length, code: error.code, reason: error.message });
        this.tellAcked(reports, reports.map(({ item }) => ({ jobId: item.jobId, code: error.code, message: error.message })));
      } else {
        // The connection went down with the request: we cannot know whether the queue saw it, so
        // send it again on the next session. A duplicate comes back refused and is dropped.
        this.buffer.push(...reports);
      }
    } finally {
      this.inFlight.delete(reports);
      this.inFlightReports -= reports.length;
    }
  }

  private tellAcked(reports: Report[], refused: readonly { jobId: JobId; code: ErrorCode; message: string }[]): void {
    const onAcked = this.options.onAcked;
    if (onAcked === undefined) return;
    // Refusals name jobs, not leases: a message holds one report per job.
    const refusals = refused.length === 0 ? undefined : new Map(refused.map((r) => [r.jobId, { code: r.code, message: r.message }]));
    for (const report of reports) onAcked(report, refusals?.get(report.item.jobId));
  }
}

function split(batch: Report[], kind: Report["kind"], { maxBytes, maxReports }: { maxBytes: number; maxReports: number }): Report[][] {
  const messages: Report[][] = [];
  let current: Report[] = [];
  let bytes = 0;
  for (const report of batch) {
    if (report.kind !== kind) continue;
    if (current.length > 0 && (bytes + report.bytes > maxBytes || current.length >= maxReports)) {
      messages.push(current);
      current = [];
      bytes = 0;
    }
    current.push(report);
    bytes += report.bytes + 1;
  }
  if (current.length > 0) messages.push(current);
  return messages;
}
