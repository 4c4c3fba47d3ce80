// One worker session: a connection that has said hello and been welcomed, kept alive with
// heartbeats and watched for silence (by a liveness thread when the queue offers one, so a busy
// main loop neither looks dead to the queue nor takes the queue for dead). It ends exactly once;
// deciding to reconnect, and what the jobs do meanwhile, is the worker's business.
import { PROTOCOL_VERSION, type HeldLease, type QueueName, type ServerMessage, type Welcome } from "@djq/protocol";
import { QueueConnection, keepAlive, type Endpoint } from "@djq/runtime";
import { isIP } from "node:net";
import { LivenessLink } from "./liveness-link.js";

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
  /** See WorkerOptions.stuckLoopKillMs. */
  stuckLoopKillMs: number;
  /** The liveness connection could not be bound: this session beats from the main thread instead. */
  onLivenessUnavailable: (reason: string) => void;
  /** After an abandon, the liveness thread found the main loop turning (it would have killed a stuck one). */
  onLoopTurned: (jobId: number, lease: number) => void;
}

/** Never beat more often than this, however short the queue's heartbeat. */
const MIN_CHECK_MS = 10;

export class Session {
  private welcomed: Welcome | undefined;
  private readonly ended: Promise<string>;
  /** Set by the queue's `shutdown` push: this session takes no more jobs. */
  draining = false;

  private liveness: LivenessLink | undefined;

  private constructor(
    readonly connection: QueueConnection,
    private readonly endpoint: Endpoint,
    private readonly options: SessionOptions,
  ) {
    this.ended = new Promise((resolve) => {
      connection.onClose((error) => {
        this.liveness?.stop();
        resolve(error?.message ?? "the queue closed the connection");
      });
    });
  }

  /** Opens the connection; pushes go to `onPush` from then on, even before `greet` resolves. */
  static async connect(endpoint: Endpoint, options: SessionOptions): Promise<Session> {
    const connection = await QueueConnection.open(endpoint, { connectTimeoutMs: options.connectTimeoutMs });
    const session = new Session(connection, endpoint, options);
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
    this.keepAlive(this.welcomed, hello);
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
  // Beats leave from this thread until the liveness thread's connection is bound, then only from it.
  private keepAlive(welcome: Welcome, hello: SessionHello): void {
    // Give up on a silent queue at half the queue's own timeout: a worker whose link only
    // hiccupped reconnects and reclaims its leases (hello `holding`) before the queue revokes them.
    const intervalMs = Math.max(MIN_CHECK_MS, welcome.heartbeatIntervalMs);
    const silenceMs = Math.max(2 * intervalMs, Math.floor(welcome.heartbeatTimeoutMs / 2));
    const stopBeating = keepAlive(this.connection, {
      intervalMs,
      silenceMs,
      onSilent: (silentMs) => this.destroy(`the queue was silent for ${silentMs} ms (timeout ${silenceMs} ms)`),
    });
    if (welcome.livenessToken === undefined || this.closed) return;
    this.liveness = new LivenessLink({
      // The address connected to, so the thread never looks a name up; TLS still checks the name.
      endpoint: livenessEndpoint(this.endpoint, this.connection.remoteAddress),
      binding: {
        workerId: hello.workerId,
        livenessToken: welcome.livenessToken,
        ...(hello.secret !== undefined ? { secret: hello.secret } : {}),
        heartbeatIntervalMs: intervalMs,
        heartbeatTimeoutMs: welcome.heartbeatTimeoutMs,
        silenceMs,
      },
      stuckLoopKillMs: this.options.stuckLoopKillMs,
      onBound: stopBeating,
      onLost: (reason) => this.destroy(reason),
      onUnavailable: (reason) => this.options.onLivenessUnavailable(reason),
      onLoopTurned: this.options.onLoopTurned,
    });
  }
}

function livenessEndpoint(endpoint: Endpoint, address: string | undefined): Endpoint {
  const host = address ?? endpoint.host;
  if (endpoint.tls === undefined) return { host, port: endpoint.port };
  const { ca, servername } = endpoint.tls;
  return {
    host,
    port: endpoint.port,
    tls: {
      // A Buffer would arrive in the thread as a plain Uint8Array; the PEM text arrives as it is.
      ...(ca !== undefined ? { ca: typeof ca === "string" ? ca : ca.toString("utf8") } : {}),
      ...(servername !== undefined ? { servername } : isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
    },
  };
}
