// One peer's socket: framing, validation, the hello gate, role rules, error budget and a bounded
// output buffer. It turns frames into typed requests for the broker and makes no job-state
// decisions of its own.
import type net from "node:net";
import {
  ErrorCode,
  FrameDecoder,
  type FramingError,
  clientRequestTypes,
  encodeFrame,
  fatalErrorCodes,
  parseRequest,
  workerRequestTypes,
  type Request,
  type RequestId,
  type Role,
  type ServerMessage,
} from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { QueueConfig } from "./queue-config.js";

export interface ConnectionHandler {
  /** Bytes arrived: proof of life, recorded before any frame from any connection is handled. */
  heard(connection: Connection): void;
  /** Frames are waiting; the handler calls `handleInbox` once every readable socket was heard. */
  hasInbox(connection: Connection): void;
  hello(connection: Connection, request: Extract<Request, { type: "hello" }>): void;
  request(connection: Connection, request: Request): void;
  closed(connection: Connection): void;
}

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
  workerId: string | undefined = undefined;
  /** A worker's session: the token its liveness connection must name, and that connection once bound. */
  livenessToken: string | undefined = undefined;
  liveness: Connection | undefined = undefined;
  /** Fetches not answered yet; their ids may not be reused meanwhile. */
  readonly openFetches = new Set<RequestId>();
  /** Length of the frame being handled: a frame of n chars has at most 3n UTF-8 bytes. */
  lastFrameChars = 0;
  private errors = 0;
  private outbox: string[] = [];
  private closing = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private inbox: string[] = [];
  private framingError: FramingError | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: ConnectionHandler,
    private readonly config: QueueConfig,
    private readonly log: Logger,
  ) {
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(config.maxFrameBytes);
    const onFrame = (frame: string) => this.inbox.push(frame);
    socket.on("data", (chunk: Buffer) => {
      if (this.framingError !== undefined) return;
      this.framingError = decoder.push(chunk, onFrame);
      handler.heard(this);
      if (this.inbox.length > 0 || this.framingError !== undefined) handler.hasInbox(this);
    });
    socket.on("error", (error) => log.debug("connection.error", { conn: this.id, error: error.message }));
    socket.on("close", () => {
      // What the peer sent before it hung up still counts (a last completion, say).
      this.handleInbox();
      this.closing = true;
      clearTimeout(this.helloTimer);
      handler.closed(this);
    });
    this.helloTimer = setTimeout(
      () => this.refuse(undefined, ErrorCode.helloTimeout, `no hello within ${config.helloTimeoutMs} ms`),
      config.helloTimeoutMs,
    );
  }

  get open(): boolean {
    return !this.closing;
  }

  get label(): string {
    return this.workerId ?? `${this.role ?? "peer"}#${this.id}`;
  }

  send(message: ServerMessage): void {
    if (this.closing) return;
    // Replies made in one turn of the event loop leave as one string in one write: one
    // syscall and one UTF-8 conversion, however many messages.
    if (this.outbox.length === 0) process.nextTick(this.role === "worker" ? this.flush : this.flushAfterWorkers);
    this.outbox.push(encodeFrame(message));
  }

  // Workers' writes go first in a turn: a job just submitted starts only once its assign is
  // written, and a loopback write is dear (it wakes the reader; ~40 µs measured when that reader's
  // CPU idles), so a client's `submitted` written first would add that much to every start.
  // Ticks queued while the tick queue drains run after it, so one re-queue puts a client's write
  // behind every worker's of this turn.
  private readonly flushAfterWorkers = (): void => process.nextTick(this.flush);

  private readonly flush = (): void => {
    const frames = this.outbox;
    if (frames.length === 0 || this.closing) return;
    this.outbox = [];
    this.socket.write(frames.length === 1 ? (frames[0] as string) : frames.join(""));
    if (this.socket.writableLength > this.config.maxOutputBytes) {
      this.log.warn("connection.overflow", {
        conn: this.id,
        peer: this.label,
        unsentBytes: this.socket.writableLength,
        limit: this.config.maxOutputBytes,
      });
      this.drop();
    }
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
    clearTimeout(this.helloTimer);
    this.flush();
    this.closing = true;
    this.socket.end();
    // A peer that never reads would hold the socket open forever: give the flush a bound.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** Closes at once, discarding anything unsent. */
  drop(): void {
    this.closing = true;
    clearTimeout(this.helloTimer);
    this.socket.destroy();
  }

  /** Handles the frames received so far, in order, then any framing error that followed them. */
  handleInbox(): void {
    const frames = this.inbox;
    this.inbox = [];
    for (const frame of frames) this.receive(frame);
    const error = this.framingError;
    if (error !== undefined && !this.closing) this.refuse(undefined, error.code, error.message);
  }

  private receive(frame: string): void {
    if (this.closing) return;
    this.lastFrameChars = frame.length;
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
      clearTimeout(this.helloTimer);
      this.handler.hello(this, request);
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
    if (this.openFetches.has(request.id)) {
      this.refuse(request.id, ErrorCode.duplicateRequestId, `request id ${JSON.stringify(request.id)} is still in flight`);
      return;
    }
    this.handler.request(this, request);
  }
}
