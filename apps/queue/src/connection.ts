// One peer's socket: framing, validation, the hello gate, role rules, error budget and a bounded
// output buffer. It turns frames into typed requests for the broker and makes no job-state
// decisions of its own.
import type net from "node:net";
import {
  ErrorCode,
  FrameDecoder,
  type FramingError,
  clientRequestTypes,
  encodeServerFrame,
  fatalErrorCodes,
  parseRequest,
  workerRequestTypes,
  type Request,
  type RequestId,
  type Role,
  type ServerMessage,
} from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { Clock, Timer } from "./clock.js";
import { LineDeadline } from "./line-deadline.js";
import type { DurabilityGate } from "./durability-gate.js";
import type { JournalBacklog } from "./journal-backlog.js";
import type { LingeringReplies } from "./lingering-replies.js";
import { OutputBuffer } from "./output-buffer.js";
import type { QueueConfig } from "./queue-config.js";
import type { Turns } from "./turns.js";

export interface ConnectionHandler {
  /** Bytes arrived: proof of life, recorded before any frame from any connection is handled. */
  heard(connection: Connection): void;
  /** A request that passed the hello gate and the role's rules, hello included. */
  request(connection: Connection, request: Request): void;
  closed(connection: Connection): void;
  /** Whether a reply that may linger should: this connection's worker is about to be sent more. */
  expectsMore(connection: Connection): boolean;
}

/**
 * When a queued message may leave, with the journal on:
 * - `after-records`: it acknowledges a change, so once its turn's records are durable (a reply to
 *   a request that changed something, a `settled` push);
 * - `in-order`: it acknowledges nothing, so at once unless output before it is held (a heartbeat
 *   reply, a progress push, an abandon);
 * - `ahead`: it acknowledges nothing and its peer matches it by request id, so at once, past held
 *   output (an assign: a job waits for no record to start);
 * - `lingering`: as `after-records`, and then it may linger for company (see sendLingering).
 * Without the journal every message leaves at the end of its turn, and only `lingering` waits.
 */
export type Delivery = "after-records" | "in-order" | "ahead" | "lingering";

let lastConnectionId = 0;

/** Refusals that mean the peer sent garbage; only these spend its error budget. A busy worker
 * meeting routine refusals (a stale lease, a job that expired) must not be cut off for them. */
const garbageCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.badJson,
  ErrorCode.badMessage,
  ErrorCode.helloRequired,
  ErrorCode.alreadyHello,
  ErrorCode.roleForbidden,
  ErrorCode.duplicateRequestId,
]);

/** A liveness connection only beats; `heartbeat` is allowed on every connection. */
const heartbeatOnly: ReadonlySet<string> = new Set();

export class Connection {
  readonly id = ++lastConnectionId;
  readonly remote: string;
  role: Role | undefined = undefined;
  /** The worker id it said hello with, for log lines; the core keeps which worker is where. */
  private name: string | undefined = undefined;
  private errors = 0;
  private readonly output: OutputBuffer;
  /** Whether a message queued since the last flush must wait for its turn's records (see send). */
  private unflushedWaitsForRecord = false;
  /** Whether every message queued since the last flush may linger (see sendLingering). */
  private unflushedMayLinger = true;
  /** Queued output is lingering for company: the next message, or the linger's end, sends it. */
  private lingering = false;
  private readonly lineDeadline: LineDeadline;
  private closing = false;
  private readonly helloTimer: Timer;
  private inbox: string[] = [];
  private framingError: FramingError | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: ConnectionHandler,
    private readonly config: QueueConfig,
    private readonly log: Logger,
    clock: Clock,
    private readonly turns: Turns,
    private readonly lingeringReplies: LingeringReplies,
    private readonly gate: DurabilityGate | undefined = undefined,
    private readonly backlog: JournalBacklog | undefined = undefined,
  ) {
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    socket.setNoDelay(true);
    this.output = new OutputBuffer(socket, config.maxOutputBytes, backlog?.heldTally);
    this.lineDeadline = new LineDeadline(clock, config.lineTimeoutMs, () =>
      this.refuse(undefined, ErrorCode.lineTimeout, `a line was left unfinished for ${config.lineTimeoutMs} ms`),
    );
    const decoder = new FrameDecoder(config.maxFrameBytes);
    const onFrame = (frame: string) => this.inbox.push(frame);
    socket.on("data", (chunk: Buffer) => {
      if (this.framingError !== undefined) return;
      this.framingError = decoder.push(chunk, onFrame);
      this.lineDeadline.update(decoder.bufferedBytes);
      handler.heard(this);
      if (this.inbox.length > 0 || this.framingError !== undefined) turns.add(this);
    });
    socket.on("error", (error) => log.debug("connection.error", { conn: this.id, error: error.message }));
    socket.on("close", () => {
      // What the peer sent before it hung up still counts (a last completion, say), even while
      // the journal is behind: it is one read at most.
      this.backlog?.forget(this);
      this.handleInbox(true);
      this.closing = true;
      this.helloTimer.cancel();
      this.lineDeadline.stop();
      handler.closed(this);
    });
    this.helloTimer = clock.after(config.helloTimeoutMs, () => {
      if (this.role === undefined) this.refuse(undefined, ErrorCode.helloTimeout, `no hello within ${config.helloTimeoutMs} ms`);
    });
  }

  get open(): boolean {
    return !this.closing;
  }

  get label(): string {
    return this.name ?? `${this.role ?? "peer"}#${this.id}`;
  }

  /** The hello was accepted: from now on the role's requests are allowed. */
  accept(role: Role, name: string | undefined): void {
    this.role = role;
    this.name = name;
    this.helloTimer.cancel();
  }

  /** Queues a message, to leave as `delivery` says. */
  send(message: ServerMessage, delivery: Delivery = "after-records"): void {
    if (this.closing) return;
    if (this.output.roomBytes <= 0) {
      this.overflow(0);
      return;
    }
    this.sendFrame(encodeServerFrame(message), undefined, delivery);
  }

  /**
   * Queues a reply the peer does not wait on to go on with its work (a worker's `ack`). If it is
   * all this turn has for a worker that is about to be sent more (its fetch is open), it lingers
   * up to LINGER_MS, from when its records are durable, for that `assign` and leaves in the same
   * write: the worker wakes once.
   */
  sendLingering(message: ServerMessage): void {
    this.send(message, "lingering");
  }

  /** The linger is over: what lingered leaves now, whatever joined it. */
  endLinger(): void {
    if (!this.lingering) return;
    this.lingering = false;
    this.unflushedMayLinger = false;
    this.flush();
  }

  /** Bytes that may still be queued for this peer; a reply built piece by piece checks it as it grows. */
  get outputRoomBytes(): number {
    return this.output.roomBytes;
  }

  /** Queues an encoded frame, or drops the peer if the frame would take it past its output bound. */
  sendFrame(frame: string, frameBytes = Buffer.byteLength(frame), delivery: Delivery = "after-records"): void {
    if (this.closing) return;
    // Replies made in one turn of the event loop leave as one string in one write: one
    // syscall and one UTF-8 conversion, however many messages.
    const first = this.output.isEmpty;
    if (!this.output.add(frame, frameBytes, delivery === "ahead" && this.gate !== undefined)) {
      this.overflow(frameBytes);
      return;
    }
    if (delivery === "after-records" || delivery === "lingering") this.unflushedWaitsForRecord = true;
    if (delivery !== "lingering") this.unflushedMayLinger = false;
    if (first) process.nextTick(this.role === "worker" ? this.flush : this.flushAfterWorkers);
    else if (this.lingering && delivery !== "lingering") {
      // The company it waited for: both leave at the end of this turn.
      this.lingering = false;
      process.nextTick(this.flush);
    }
  }

  /** The peer does not read what it asks for: drop it before its next reply exists in full. */
  overflow(replyBytes: number): void {
    if (this.closing) return;
    this.log.warn("connection.overflow", {
      conn: this.id,
      peer: this.label,
      code: ErrorCode.outputOverflow,
      unsentBytes: this.output.unsentBytes,
      replyBytes,
      limit: this.output.limitBytes,
    });
    this.drop();
  }

  // Workers' writes go first in a turn: a job just submitted starts only once its assign is
  // written, and a loopback write is dear (it wakes the reader; ~40 µs measured when that reader's
  // CPU idles), so a client's `submitted` written first would add that much to every start.
  // Ticks queued while the tick queue drains run after it, so one re-queue puts a client's write
  // behind every worker's of this turn.
  private readonly flushAfterWorkers = (): void => process.nextTick(this.flush);

  private readonly flush = (): void => {
    if (this.closing || this.lingering) return;
    const gate = this.gate;
    // Records written already (in this turn's write, with fsync interval) hold nothing back.
    if (gate !== undefined && this.unflushedWaitsForRecord && !this.output.holding && gate.isDurable(gate.required)) this.unflushedWaitsForRecord = false;
    const free = gate === undefined || (!this.output.holding && !this.unflushedWaitsForRecord);
    if (free && this.unflushedMayLinger && !this.output.isEmpty && this.handler.expectsMore(this)) {
      this.lingering = true;
      this.lingeringReplies.add(this);
      return;
    }
    const mayLinger = this.unflushedMayLinger;
    this.unflushedMayLinger = true;
    if (gate !== undefined && !free) {
      // This turn's replies wait for this turn's records, and for the output held before them,
      // whose order they keep; what goes ahead (an assign) leaves now.
      const epoch = gate.required;
      this.unflushedWaitsForRecord = false;
      this.output.hold(epoch, mayLinger);
      // A client waits on its replies (a `submitted`) to send its next request; what is held for
      // a worker is acks it does not wait on, its assigns having gone ahead.
      gate.whenDurable(epoch, this.release, this.role !== "worker");
    }
    this.output.flush();
  };

  private readonly release = (): void => {
    const gate = this.gate as DurabilityGate;
    if (this.socket.destroyed) return;
    const mayLinger = this.output.releaseDurable((epoch) => gate.isDurable(epoch));
    if (this.output.holding && gate.failure !== undefined) {
      // What it was about to be told was never recorded: it must not hear it.
      this.log.warn("connection.dropped", { conn: this.id, peer: this.label, code: ErrorCode.journalUnavailable, reason: gate.failure });
      this.drop();
      return;
    }
    if (mayLinger !== undefined && !this.lingering) {
      // A worker's acks, durable now, linger for the assign its open fetch brings, as they do
      // without the journal; meanwhile the clients' replies released with them leave first.
      if (mayLinger && !this.closing && this.handler.expectsMore(this)) {
        this.lingering = true;
        this.lingeringReplies.add(this);
      } else this.output.flushAhead();
    }
    if (this.closing && !this.output.holding) this.socket.end();
  };

  /** An error reply; fatal codes and a spent error budget also close the connection. */
  refuse(id: RequestId | undefined, code: ErrorCode, message: string): void {
    if (this.closing) return;
    this.send(id === undefined ? { type: "error", code, message } : { id, type: "error", code, message });
    if (garbageCodes.has(code)) this.errors += 1;
    if (fatalErrorCodes.has(code)) {
      this.log.info("connection.refused", { conn: this.id, peer: this.label, code, reason: message });
      this.end();
    } else if (this.errors > this.config.maxErrors) {
      this.send({ type: "error", code: ErrorCode.tooManyErrors, message: `closed after ${this.errors} bad messages` });
      this.log.info("connection.refused", { conn: this.id, peer: this.label, code: ErrorCode.tooManyErrors });
      this.end();
    }
  }

  /** Flushes what was sent, then closes. */
  end(): void {
    if (this.closing) return;
    this.helloTimer.cancel();
    this.lineDeadline.stop();
    this.lingering = false;
    this.unflushedMayLinger = false;
    this.flush();
    this.closing = true;
    // Replies still held for the journal are written, then the socket ends (see release).
    if (!this.output.holding) this.socket.end();
    // A peer that never reads would hold the socket open forever: give the flush a bound.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** Closes at once, discarding anything unsent. */
  drop(): void {
    this.closing = true;
    this.helloTimer.cancel();
    this.lineDeadline.stop();
    this.output.discard();
    this.socket.destroy();
  }

  /**
   * Handles the frames received so far, in order, then any framing error that followed them.
   * While the journal's backlog is full, a client's or worker's frames wait from the next one on
   * and its socket is not read; a liveness connection (beats only) and a hello are never held.
   */
  handleInbox(evenIfJournalBehind = false): void {
    const frames = this.inbox;
    this.inbox = [];
    for (let i = 0; i < frames.length; i += 1) {
      if (!evenIfJournalBehind && this.waitsForJournal()) {
        this.inbox = frames.slice(i);
        this.waitForJournal();
        return;
      }
      this.receive(frames[i] as string);
    }
    const error = this.framingError;
    if (error !== undefined && !this.closing) this.refuse(undefined, error.code, error.message);
  }

  private waitsForJournal(): boolean {
    return this.backlog !== undefined && this.backlog.full && (this.role === "client" || this.role === "worker") && !this.closing;
  }

  private waitForJournal(): void {
    this.socket.pause();
    this.backlog?.wait(this);
  }

  /** The journal's backlog drained below its limit: read this peer again. */
  resumeReading(): void {
    if (this.closing) return;
    this.socket.resume();
    if (this.inbox.length > 0 || this.framingError !== undefined) this.turns.add(this);
  }

  private receive(frame: string): void {
    if (this.closing) return;
    const parsed = parseRequest(frame);
    if (!parsed.ok) {
      this.refuse(parsed.id, parsed.code, parsed.message);
      return;
    }
    const request = parsed.request;
    if (this.role === undefined) {
      if (request.type !== "hello") {
        this.refuse(request.id, ErrorCode.helloRequired, `say hello first; got "${request.type}"`);
        return;
      }
      this.handler.request(this, request);
      return;
    }
    if (request.type === "hello") {
      this.refuse(request.id, ErrorCode.alreadyHello, "this connection has already said hello");
      return;
    }
    const allowed = this.role === "client" ? clientRequestTypes : this.role === "worker" ? workerRequestTypes : heartbeatOnly;
    if (!allowed.has(request.type) && request.type !== "heartbeat") {
      this.refuse(request.id, ErrorCode.roleForbidden, `a ${this.role} may not send "${request.type}"`);
      return;
    }
    this.handler.request(this, request);
  }
}
