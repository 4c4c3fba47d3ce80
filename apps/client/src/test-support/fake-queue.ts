// A scripted stand-in for the queue, for client tests: a real TCP server on 127.0.0.1 port 0 that
// speaks NDJSON and lets a test read each request and write each reply like a wire transcript.
// It has no job logic at all; the test plays the queue. Every wait here is bounded.
import net from "node:net";
import {
  DEFAULT_FRAME_BYTES,
  ErrorCode,
  FrameDecoder,
  PROTOCOL_VERSION,
  encodeFrame,
  parseRequest,
  type Hello,
  type Request,
  type RequestType,
  type ServerMessage,
} from "@djq/protocol";

const WAIT_MS = 2_000;

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
export type ReplyBody = WithoutId<ServerMessage>;
export type RequestOf<K extends RequestType> = Extract<Request, { type: K }>;

export interface FakeQueueOptions {
  runId?: string;
  maxFrameBytes?: number;
  /** The secret hello must carry; a wrong one gets `auth-failed` and a hang-up. */
  secret?: string;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

export class FakeConnection {
  hello: Hello | undefined;
  heartbeats = 0;
  /** Every request after hello, in arrival order (the transcript). */
  readonly received: Request[] = [];
  readonly closed: Promise<void>;
  private readonly inbox: Request[] = [];
  private readonly readers: Array<(request: Request) => void> = [];

  constructor(
    readonly socket: net.Socket,
    private readonly queue: FakeQueue,
  ) {
    // As the real queue does: without it Nagle holds a second small reply until the first is
    // acknowledged, and the client's delayed ack makes that 40 ms.
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    const decoder = new FrameDecoder(queue.maxFrameBytes);
    socket.on("data", (chunk: Buffer) => {
      const error = decoder.push(chunk, (frame) => this.receive(frame));
      if (error !== undefined) {
        queue.badFrames.push(error.message);
        this.send({ type: "error", code: error.code, message: error.message });
        socket.end();
      }
    });
    socket.on("error", () => undefined);
  }

  /** The next request, which must be of `type`; fails after two seconds of silence. */
  expect<K extends RequestType>(type: K, timeoutMs = WAIT_MS): Promise<RequestOf<K>> {
    return this.next(timeoutMs).then((request) => {
      if (request.type !== type) {
        throw new Error(`expected a ${type} request, got ${JSON.stringify(request)}`);
      }
      return request as RequestOf<K>;
    });
  }

  next(timeoutMs = WAIT_MS): Promise<Request> {
    const ready = this.inbox.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readers.splice(this.readers.indexOf(read), 1);
        reject(new Error(`no request within ${timeoutMs} ms; transcript so far: ${JSON.stringify(this.received)}`));
      }, timeoutMs);
      const read = (request: Request) => {
        clearTimeout(timer);
        resolve(request);
      };
      this.readers.push(read);
    });
  }

  /** Resolves after the client's next `count` heartbeats: each one a turn of its timers, later than now. */
  async heartbeatsFromNow(count: number, timeoutMs = WAIT_MS): Promise<void> {
    const target = this.heartbeats + count;
    const deadline = Date.now() + timeoutMs;
    while (this.heartbeats < target) {
      if (Date.now() > deadline) throw new Error(`expected ${count} heartbeats within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  reply(request: Request, body: ReplyBody): void {
    this.send({ id: request.id, ...body });
  }

  replyError(request: Request, code: ErrorCode, message: string = code): void {
    this.send({ id: request.id, type: "error", code, message });
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

  private receive(frame: string): void {
    const parsed = parseRequest(frame);
    if (!parsed.ok) {
      this.queue.badFrames.push(`${parsed.code}: ${parsed.message}`);
      this.send({ ...(parsed.id !== undefined ? { id: parsed.id } : {}), type: "error", code: parsed.code, message: parsed.message });
      return;
    }
    const request = parsed.request;
    if (request.type === "hello") {
      this.hello = request;
      this.greet(request);
      return;
    }
    // Liveness chatter is not part of the transcript a test scripts.
    if (request.type === "heartbeat") {
      this.heartbeats += 1;
      if (this.queue.answerHeartbeats) this.reply(request, { type: "heartbeat" });
      return;
    }
    this.received.push(request);
    const reader = this.readers.shift();
    if (reader !== undefined) reader(request);
    else this.inbox.push(request);
  }

  private greet(hello: Hello): void {
    if (this.queue.secret !== undefined && hello.secret !== this.queue.secret) {
      this.reply(hello, { type: "error", code: ErrorCode.authFailed, message: "wrong secret" });
      this.socket.end();
      return;
    }
    this.reply(hello, {
      type: "welcome",
      version: PROTOCOL_VERSION,
      queueRunId: this.queue.runId,
      heartbeatIntervalMs: this.queue.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.queue.heartbeatTimeoutMs,
      maxFrameBytes: this.queue.maxFrameBytes,
    });
  }
}

export class FakeQueue {
  runId: string;
  readonly maxFrameBytes: number;
  readonly secret: string | undefined;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** While true, new connections are closed at once: a queue that is down. */
  refusing = false;
  /** While false, heartbeats go unanswered: a queue that hangs without closing the socket. */
  answerHeartbeats = true;
  readonly connections: FakeConnection[] = [];
  /** Frames the fake could not accept; a correct client leaves this empty. */
  readonly badFrames: string[] = [];
  private readonly arrivals: Array<(connection: FakeConnection) => void> = [];
  private unclaimed = 0;

  private constructor(
    private readonly server: net.Server,
    options: FakeQueueOptions,
  ) {
    this.runId = options.runId ?? "run-1";
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_FRAME_BYTES;
    this.secret = options.secret;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 15_000;
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

  /** The next connection not yet handed to the test, greeted or not. */
  nextConnection(timeoutMs = WAIT_MS): Promise<FakeConnection> {
    if (this.unclaimed > 0) {
      const connection = this.connections[this.connections.length - this.unclaimed];
      this.unclaimed -= 1;
      return Promise.resolve(connection as FakeConnection);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      this.arrivals.push((connection) => {
        clearTimeout(timer);
        resolve(connection);
      });
    });
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
    const connection = new FakeConnection(socket, this);
    this.connections.push(connection);
    const arrival = this.arrivals.shift();
    if (arrival !== undefined) arrival(connection);
    else this.unclaimed += 1;
  }
}
