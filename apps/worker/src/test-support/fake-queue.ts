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
  private readonly unread: Request[] = [];
  private readonly problems: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private heartbeats = 0;
  /** When false the fake goes silent: heartbeats get no reply, like a hung queue. */
  answerHeartbeats = true;
  readonly closed: Promise<void>;

  constructor(private readonly socket: net.Socket) {
    // As the real queue does: without it Nagle holds a second small reply until the first is
    // acknowledged, and the worker's delayed ack makes that 40 ms.
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(DEFAULT_FRAME_BYTES);
    socket.on("data", (chunk: Buffer) => {
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

  /**
   * Asserts the worker sends nothing but heartbeats before its second heartbeat from now. Whatever
   * it had to send in answer to what it was sent before would have come by then: a whole
   * heartbeat interval in which its loop ran, however slow the machine.
   */
  async nothingBeforeTwoHeartbeats(): Promise<void> {
    await this.heartbeatsFromNow(2, { untilAnythingElse: true });
    if (this.unread.length > 0) throw new Error(`expected nothing, got ${JSON.stringify(this.unread)}`);
  }

  /** Waits for the worker's next `count` heartbeats: each one a turn of its timers, later than now. */
  async heartbeatsFromNow(count: number, options: { untilAnythingElse?: boolean } = {}): Promise<void> {
    const target = this.heartbeats + count;
    const deadline = Date.now() + WAIT_MS;
    while (this.heartbeats < target && !(options.untilAnythingElse && this.unread.length > 0)) {
      if (this.ended) throw new Error(`expected ${count} heartbeats, but the connection closed`);
      if (Date.now() > deadline) throw new Error(`expected ${count} heartbeats within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
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
    if (request.type === "heartbeat") {
      this.heartbeats += 1;
      if (this.answerHeartbeats) this.reply(request, { type: "heartbeat" });
      this.wake?.();
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
