// One worker session: a connection that has said hello and been welcomed, kept alive with
// heartbeats and watched for silence. It ends exactly once; deciding to reconnect, and what the
// jobs do meanwhile, is the worker's business, not this file's.
import { PROTOCOL_VERSION, type HeldLease, type QueueName, type ServerMessage, type Welcome } from "@djq/protocol";
import { QueueConnection, keepAlive, type Endpoint } from "@djq/runtime";

export interface SessionHello {
  workerId: string;
  queues: QueueName[];
  secret?: string | undefined;
  holding: HeldLease[];
}

export interface SessionOptions {
  connectTimeoutMs: number;
  /** Pushes (`abandon`, `shutdown`, `error` without an id); may run before `greet` resolves. */
  onPush: (session: Session, message: ServerMessage) => void;
}

/** Never beat more often than this, however short the queue's heartbeat. */
const MIN_CHECK_MS = 10;

export class Session {
  private welcomed: Welcome | undefined;
  private readonly ended: Promise<string>;
  /** Set by the queue's `shutdown` push: this session takes no more jobs. */
  draining = false;

  private constructor(readonly connection: QueueConnection) {
    this.ended = new Promise((resolve) => {
      connection.onClose((error) => resolve(error?.message ?? "the queue closed the connection"));
    });
  }

  /** Opens the connection; pushes go to `onPush` from then on, even before `greet` resolves. */
  static async connect(endpoint: Endpoint, options: SessionOptions): Promise<Session> {
    const connection = await QueueConnection.open(endpoint, { connectTimeoutMs: options.connectTimeoutMs });
    const session = new Session(connection);
    connection.onPush((message) => options.onPush(session, message));
    return session;
  }

  /**
   * {"id":1,"type":"hello","role":"worker","version":1,"workerId":"w1","queues":["default"],"holding":[]}
   * Resolves once welcomed and starts the heartbeat; on a refusal (QueueError), a timeout or a
   * close it rejects, and the connection is gone.
   */
  async greet(hello: SessionHello, helloTimeoutMs: number): Promise<Welcome> {
    const connection = this.connection;
    const timeout = setTimeout(
      () => connection.destroy(new Error(`no welcome within ${helloTimeoutMs} ms of hello`)),
      helloTimeoutMs,
    );
    try {
      this.welcomed = await connection.request({
        type: "hello",
        role: "worker",
        version: PROTOCOL_VERSION,
        workerId: hello.workerId,
        queues: hello.queues,
        holding: hello.holding,
        ...(hello.secret !== undefined ? { secret: hello.secret } : {}),
      });
    } catch (error) {
      connection.destroy();
      throw error;
    } finally {
      clearTimeout(timeout);
    }
    this.keepAlive(this.welcomed);
    return this.welcomed;
  }

  get welcome(): Welcome {
    if (this.welcomed === undefined) throw new Error("the session has not been welcomed yet");
    return this.welcomed;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Resolves with the reason once the session is over, for whatever cause. */
  get lost(): Promise<string> {
    return this.ended;
  }

  /** Ends the connection after what was written is flushed, or at once after `timeoutMs`. */
  async close(timeoutMs = 1_000): Promise<void> {
    const timer = setTimeout(() => this.connection.destroy(), timeoutMs);
    await this.connection.close();
    clearTimeout(timer);
  }

  destroy(reason: string): void {
    this.connection.destroy(new Error(reason));
  }

  // {"id":7,"type":"heartbeat"} every heartbeatIntervalMs. The queue's replies are what keep
  // `lastHeardAt` fresh, so a queue that stops answering is noticed even while no job is running.
  private keepAlive(welcome: Welcome): void {
    // Give up on a silent queue at half the queue's own timeout: a worker whose link only
    // hiccupped reconnects and reclaims its leases (hello `holding`) before the queue revokes them.
    const intervalMs = Math.max(MIN_CHECK_MS, welcome.heartbeatIntervalMs);
    const silenceMs = Math.max(2 * intervalMs, Math.floor(welcome.heartbeatTimeoutMs / 2));
    keepAlive(this.connection, {
      intervalMs,
      silenceMs,
      onSilent: (silentMs) => this.destroy(`the queue was silent for ${silentMs} ms (timeout ${silenceMs} ms)`),
    });
  }
}
