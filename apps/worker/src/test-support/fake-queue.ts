// A scripted stand-in for the queue in worker tests: a real TCP server on 127.0.0.1, port 0,
// that checks every frame against the protocol's schemas and answers only what the test says,
// so a test reads like a wire transcript. Heartbeats are answered for the test unless told not to.
import net from "node:net";
import {
  DEFAULT_FRAME_BYTES,
  FrameDecoder,
  PROTOCOL_VERSION,
  encodeFrame,
  parseRequest,
  type Assignment,
  type Request,
} from "@djq/protocol";

export type Message<T extends Request["type"]> = Extract<Request, { type: T }>;

const WAIT_MS = 3_000;

export class FakeQueue {
  private readonly connections: FakeConnection[] = [];
  private handedOut = 0;
  private arrived: (() => void) | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {
    server.on("connection", (socket) => {
      this.connections.push(new FakeConnection(socket));
      this.arrived?.();
    });
  }

  static async start(): Promise<FakeQueue> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new FakeQueue(server, (server.address() as net.AddressInfo).port);
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

  /** A connection that has said hello and been welcomed. */
  async nextSession(welcome: Partial<WelcomeFields> = {}): Promise<{ connection: FakeConnection; hello: Message<"hello"> }> {
    const connection = await this.nextConnection();
    const hello = await connection.next("hello");
    connection.welcome(hello, welcome);
    return { connection, hello };
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface WelcomeFields {
  queueRunId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  maxFrameBytes: number;
}

export class FakeConnection {
  /** Every request received, heartbeats included, in order. */
  readonly received: Request[] = [];
  /** The types of the requests each chunk read from the socket held, chunk by chunk. */
  private readonly chunks: Request["type"][][] = [];
  private readonly unread: Request[] = [];
  private readonly problems: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** When false the fake goes silent: heartbeats get no reply, like a hung queue. */
  answerHeartbeats = true;
  readonly closed: Promise<void>;

  constructor(private readonly socket: net.Socket) {
    // As the real queue does: without it Nagle holds a second small reply until the first is
    // acknowledged, and the worker's delayed ack makes that 40 ms.
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(DEFAULT_FRAME_BYTES);
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push([]);
      const error = decoder.push(chunk, (frame) => this.receive(frame));
      if (error !== undefined) this.problems.push(error.message);
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Takes the next unread request (heartbeats and the `skip` types passed over) and checks its type. */
  async next<T extends Request["type"]>(type: T, options: { timeoutMs?: number; skip?: Request["type"][] } = {}): Promise<Message<T>> {
    const timeoutMs = options.timeoutMs ?? WAIT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.unread.length > 0 && options.skip?.includes(this.unread[0]!.type) && this.unread[0]!.type !== type) this.unread.shift();
      if (this.unread.length > 0) break;
      if (this.problems.length > 0) throw new Error(`the worker sent bad frames: ${this.problems.join("; ")}`);
      if (this.ended) throw new Error(`expected ${type}, but the connection closed`);
      if (Date.now() > deadline) throw new Error(`expected ${type} within ${timeoutMs} ms, got nothing`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    const message = this.unread.shift()!;
    if (message.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(message)}`);
    return message as Message<T>;
  }

  /** How many chunks held exactly these request types, in this order: 1 when they came in one write. */
  chunksWith(types: readonly Request["type"][]): number {
    return this.chunks.filter((chunk) => chunk.join() === types.join()).length;
  }

  /** Asserts the worker sends nothing but heartbeats for `ms`. */
  async nothingFor(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.unread.length > 0) throw new Error(`expected nothing, got ${JSON.stringify(this.unread)}`);
  }

  send(message: object): void {
    if (!this.ended) this.socket.write(encodeFrame(message));
  }

  reply(request: { id: string | number }, body: object): void {
    this.send({ id: request.id, ...body });
  }

  welcome(hello: Message<"hello">, fields: Partial<WelcomeFields> = {}): void {
    this.reply(hello, {
      type: "welcome",
      version: PROTOCOL_VERSION,
      queueRunId: "run-1",
      heartbeatIntervalMs: 1_000,
      heartbeatTimeoutMs: 5_000,
      maxFrameBytes: DEFAULT_FRAME_BYTES,
      ...fields,
    });
  }

  ack(request: { id: string | number }, refused: object[] = []): void {
    this.reply(request, { type: "ack", refused });
  }

  assign(fetch: Message<"fetch">, jobs: Assignment[]): void {
    this.reply(fetch, { type: "assign", jobs });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(frame: string): void {
    const parsed = parseRequest(frame);
    if (!parsed.ok) {
      this.problems.push(`${parsed.code}: ${parsed.message} in ${frame}`);
      return;
    }
    const request = parsed.request;
    this.received.push(request);
    this.chunks[this.chunks.length - 1]?.push(request.type);
    if (request.type === "heartbeat") {
      if (this.answerHeartbeats) this.reply(request, { type: "heartbeat" });
      return;
    }
    this.unread.push(request);
    this.wake?.();
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
