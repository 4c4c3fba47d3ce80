// A scripted stand-in for the queue, for the worker's and the client's tests alike: a real TCP
// server on 127.0.0.1, port 0, that checks every frame against the protocol's schemas and answers
// only what the test says, so a test reads like a wire transcript. It has no job logic at all.
// Heartbeats are answered for the test unless told not to; hellos are welcomed unless the test
// scripts them (`scriptHello`). Every wait is bounded. Test support only: no program imports it.
import net from "node:net";
import {
  DEFAULT_FRAME_BYTES,
  ErrorCode,
  FrameDecoder,
  PROTOCOL_VERSION,
  encodeFrame,
  parseRequest,
  type Assignment,
  type Hello,
  type Request,
  type ServerMessage,
} from "@djq/protocol";

const WAIT_MS = 3_000;

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
export type ReplyBody = WithoutId<ServerMessage>;
export type Message<T extends Request["type"]> = Extract<Request, { type: T }>;

export interface WelcomeFields {
  queueRunId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  maxFrameBytes: number;
}

export interface FakeQueueOptions {
  runId?: string;
  maxFrameBytes?: number;
  /** The secret hello must carry; a wrong one gets `auth-failed` and a hang-up. */
  secret?: string;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** The test reads each hello and answers it itself (`nextSession` welcomes it). */
  scriptHello?: boolean;
}

export class FakeConnection {
  hello: Hello | undefined;
  heartbeats = 0;
  /** Every request but hello and heartbeats, in arrival order: the transcript. */
  readonly received: Request[] = [];
  /** When false this connection goes silent: heartbeats get no reply, like a hung queue. */
  answerHeartbeats = true;
  readonly closed: Promise<void>;
  private ended = false;
  private readonly unread: Request[] = [];
  private readonly problems: string[] = [];
  private wake: (() => void) | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly queue: FakeQueue,
  ) {
    // As the real queue does: without it Nagle holds a second small reply until the first is
    // acknowledged, and the peer's delayed ack makes that 40 ms.
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
    const decoder = new FrameDecoder(queue.maxFrameBytes);
    socket.on("data", (chunk: Buffer) => {
      const error = decoder.push(chunk, (frame) => this.receive(frame));
      if (error !== undefined) {
        this.problem(error.message);
        this.send({ type: "error", code: error.code, message: error.message });
        socket.end();
      }
    });
    socket.on("error", () => undefined);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** The next unread request (the `skip` types passed over), which must be of `type`. */
  async expect<T extends Request["type"]>(type: T, options: { timeoutMs?: number; skip?: Request["type"][] } = {}): Promise<Message<T>> {
    const timeoutMs = options.timeoutMs ?? WAIT_MS;
    await this.waitUntil(() => {
      while (this.unread.length > 0 && options.skip?.includes(this.unread[0]!.type) && this.unread[0]!.type !== type) this.unread.shift();
      return this.unread.length > 0;
    }, `a ${type} request`, timeoutMs);
    const message = this.unread.shift()!;
    if (message.type !== type) throw new Error(`expected a ${type} request, got ${JSON.stringify(message)}`);
    return message as Message<T>;
  }

  /** Resolves after the peer's next `count` heartbeats: each one a turn of its timers, later than now. */
  async heartbeatsFromNow(count: number): Promise<void> {
    const target = this.heartbeats + count;
    await this.waitUntil(() => this.heartbeats >= target, `${count} heartbeats`);
  }

  /**
   * Asserts the peer sends nothing but heartbeats before its second heartbeat from now. Whatever
   * it had to send in answer to what it was sent before would have come by then: a whole
   * heartbeat interval in which its loop ran, however slow the machine.
   */
  async nothingBeforeTwoHeartbeats(): Promise<void> {
    const target = this.heartbeats + 2;
    await this.waitUntil(() => this.heartbeats >= target || this.unread.length > 0, "two heartbeats");
    if (this.unread.length > 0) throw new Error(`expected nothing, got ${JSON.stringify(this.unread)}`);
  }

  welcome(hello: Message<"hello">, fields: Partial<WelcomeFields> = {}): void {
    this.reply(hello, {
      type: "welcome",
      version: PROTOCOL_VERSION,
      queueRunId: this.queue.runId,
      heartbeatIntervalMs: this.queue.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.queue.heartbeatTimeoutMs,
      maxFrameBytes: this.queue.maxFrameBytes,
      ...fields,
    });
  }

  reply(request: { id: string | number }, body: ReplyBody | object): void {
    this.send({ id: request.id, ...body });
  }

  replyError(request: { id: string | number }, code: ErrorCode, message: string = code): void {
    this.send({ id: request.id, type: "error", code, message });
  }

  ack(request: { id: string | number }, refused: object[] = []): void {
    this.reply(request, { type: "ack", refused });
  }

  assign(fetch: Message<"fetch">, jobs: Assignment[]): void {
    this.reply(fetch, { type: "assign", jobs });
  }

  /** A message without an id: `settled`, `shutdown`, or an error before a hang-up. */
  push(message: ReplyBody): void {
    this.send(message);
  }

  send(message: object): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(message));
  }

  /** The connection breaks without a goodbye, as when a network path fails. */
  drop(): void {
    this.socket.destroy();
  }

  private async waitUntil(done: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.problems.length > 0) throw new Error(`the peer sent bad frames: ${this.problems.join("; ")}`);
      if (this.ended) throw new Error(`expected ${what}, but the connection closed; transcript so far: ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`expected ${what} within ${timeoutMs} ms; transcript so far: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
  }

  private problem(text: string): void {
    this.problems.push(text);
    this.queue.badFrames.push(text);
    this.wake?.();
  }

  private receive(frame: string): void {
    const parsed = parseRequest(frame);
    if (!parsed.ok) {
      this.problem(`${parsed.code}: ${parsed.message} in ${frame}`);
      this.send({ ...(parsed.id !== undefined ? { id: parsed.id } : {}), type: "error", code: parsed.code, message: parsed.message });
      return;
    }
    const request = parsed.request;
    // Liveness chatter is not part of the transcript a test scripts.
    if (request.type === "heartbeat") {
      this.heartbeats += 1;
      if (this.answerHeartbeats && this.queue.answerHeartbeats) this.reply(request, { type: "heartbeat" });
      this.wake?.();
      return;
    }
    if (request.type === "hello" && !this.queue.scriptHello) {
      this.hello = request;
      this.greet(request);
      return;
    }
    if (request.type === "hello") this.hello = request;
    else this.received.push(request);
    this.unread.push(request);
    this.wake?.();
  }

  private greet(hello: Hello): void {
    if (this.queue.secret !== undefined && hello.secret !== this.queue.secret) {
      this.replyError(hello, ErrorCode.authFailed, "wrong secret");
      this.socket.end();
      return;
    }
    this.welcome(hello);
  }
}

export class FakeQueue {
  runId: string;
  readonly maxFrameBytes: number;
  readonly secret: string | undefined;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly scriptHello: boolean;
  /** While true, new connections are closed at once: a queue that is down. */
  refusing = false;
  /** While false, heartbeats go unanswered: a queue that hangs without closing the socket. */
  answerHeartbeats = true;
  readonly connections: FakeConnection[] = [];
  /** Frames the fake could not accept; a correct peer leaves this empty. */
  readonly badFrames: string[] = [];
  private handedOut = 0;
  private arrived: (() => void) | undefined;

  private constructor(
    private readonly server: net.Server,
    options: FakeQueueOptions,
  ) {
    this.runId = options.runId ?? "run-1";
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_FRAME_BYTES;
    this.secret = options.secret;
    this.scriptHello = options.scriptHello ?? false;
    // A worker's tests want its heartbeats often; a client's, rarely, as the real queue paces them.
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? (this.scriptHello ? 1_000 : 5_000);
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? (this.scriptHello ? 5_000 : 15_000);
    server.on("connection", (socket) => this.accept(socket));
  }

  static async start(options: FakeQueueOptions = {}): Promise<FakeQueue> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new FakeQueue(server, options);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next connection not yet handed to the test, in order of arrival. */
  async nextConnection(timeoutMs = WAIT_MS): Promise<FakeConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length <= this.handedOut) {
      if (Date.now() > deadline) throw new Error(`no new connection within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.arrived = resolve;
        setTimeout(resolve, 20);
      });
    }
    return this.connections[this.handedOut++]!;
  }

  /**
   * The next connection, its hello read and welcomed with these fields (with `scriptHello`). A test
   * that starts a program waits longer (`timeoutMs`): Node's start-up comes first.
   */
  async nextSession(welcome: Partial<WelcomeFields> = {}, timeoutMs = WAIT_MS): Promise<{ connection: FakeConnection; hello: Message<"hello"> }> {
    const connection = await this.nextConnection(timeoutMs);
    const hello = await connection.expect("hello");
    connection.welcome(hello, welcome);
    return { connection, hello };
  }

  /** Simulates a crash and restart: every connection drops and the next hello sees a new run id. */
  restart(runId: string): void {
    this.runId = runId;
    for (const connection of this.connections) connection.drop();
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.refusing) {
      socket.destroy();
      return;
    }
    this.connections.push(new FakeConnection(socket, this));
    this.arrived?.();
  }
}

/** An assignment as the queue would send it; leases are jobId × 10 unless given. */
export function assignment(jobId: number, fields: Partial<Assignment> = {}): Assignment {
  return {
    jobId,
    lease: jobId * 10,
    attempt: 1,
    queue: "default",
    type: "sleep",
    durationMs: 0,
    timeoutMs: 30_000,
    maxAttempts: 3,
    ...fields,
  };
}
