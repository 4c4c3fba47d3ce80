// Keeps one live, greeted connection to the queue for the client library: says `hello`, notices a
// drop, reconnects with backoff and resends requests that were in flight. It knows nothing about
// jobs; what to do when the queue restarted or came back is the hooks' business.
import {
  PROTOCOL_VERSION,
  fatalErrorCodes,
  type ReplyTo,
  type RequestBody,
  type ServerMessage,
  type Welcome,
} from "@djq/protocol";
import {
  ConnectionClosedError,
  QueueConnection,
  QueueError,
  keepAlive,
  reconnectDelayMs,
  type EncodedRequest,
  type Endpoint,
  type Logger,
} from "@djq/runtime";
import { Mutex } from "async-mutex";
import { QueueUnreachableError } from "./client-errors.js";

/** A connection that stayed up this long resets the backoff; one that did not is a flap. */
const STABLE_CONNECTION_MS = 5_000;

export interface ReconnectOptions {
  /** First delay before reconnecting; doubles per failure (with jitter). Default 100. */
  initialMs?: number;
  /** Ceiling of the delay between attempts. Default 5000. */
  maxMs?: number;
  /** Stop trying after this long without a connection and reject what waits on one. Default 30000. */
  giveUpAfterMs?: number;
}

export interface SessionHooks {
  /** `runId` is the run of the connection the push came on (unknown only before any welcome). */
  onPush(message: ServerMessage, runId: string | undefined): void;
  /** A new queue process answered: everything the old one held is gone. */
  onRunChanged(previousRunId: string, runId: string): void;
  /**
   * Runs on every new connection before waiting requests are resent (to re-watch jobs). A
   * ConnectionClosedError from here counts as a failed attempt and the loop tries again.
   */
  onConnected(connection: QueueConnection, runId: string): Promise<void>;
  /** Whether anything is waiting on the queue, so a drop should reconnect without a request. */
  wantsConnection(): boolean;
  /** A reconnect gave up (or met a fatal refusal): nothing will arrive until a later request. */
  onGaveUp(error: Error): void;
}

export interface SessionOptions {
  endpoint: Endpoint;
  secret: string | undefined;
  logger: Logger;
  reconnect: ReconnectOptions;
  connectTimeoutMs: number;
  /** How often one request may be resent after drops before it fails. */
  maxResends: number;
}

export class ReconnectingSession {
  private connection: QueueConnection | undefined;
  private welcome: Welcome | undefined;
  // One reconnect at a time: when a connection drops, every request in flight fails at once and
  // asks for a new connection. Without the mutex each would open its own socket, say hello and
  // re-watch every job; with it the first one reconnects and the rest find that connection ready.
  private readonly mutex = new Mutex();
  private failures = 0;
  /** Bumped each time a reconnect gives up, so callers queued behind it share its answer. */
  private giveUps = 0;
  private lastGiveUp: Error | undefined;
  private closed = false;
  private readonly wakeSleepers = new Set<() => void>();

  constructor(
    private readonly options: SessionOptions,
    private readonly hooks: SessionHooks,
  ) {}

  /** The first connection: one attempt, so a wrong address or secret fails at once. */
  async start(): Promise<void> {
    await this.open();
  }

  get runId(): string {
    if (this.welcome === undefined) throw new Error("the client has not connected yet");
    return this.welcome.queueRunId;
  }

  get maxFrameBytes(): number {
    if (this.welcome === undefined) throw new Error("the client has not connected yet");
    return this.welcome.maxFrameBytes;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True when `error` is a dropped connection that reconnecting may cure. */
  isDrop(error: unknown): boolean {
    return error instanceof ConnectionClosedError && !(error instanceof QueueUnreachableError) && !this.closed;
  }

  /**
   * Sends `body`, reconnecting and resending while the connection drops before the reply. Only
   * safe for requests the queue treats as idempotent (keyed submits, look-ups, watch, pause):
   * pass `resend: false` for the others, and the drop is thrown for the caller to judge.
   */
  async request<T extends RequestBody>(body: T, { resend = true, frame }: { resend?: boolean; frame?: EncodedRequest } = {}): Promise<ReplyTo<T["type"]>> {
    for (let sends = 0; ; sends += 1) {
      // Connected, as nearly always: no promise of a reconnect to wait on.
      const current = this.connection;
      const connection = current !== undefined && !current.closed ? current : await this.connected();
      try {
        const reply = await connection.request(body, frame);
        this.failures = 0;
        return reply;
      } catch (error) {
        if (!resend || !this.isDrop(error)) throw error;
        if (sends >= this.options.maxResends) {
          throw new ConnectionClosedError(
            `the connection closed ${sends + 1} times while a ${body.type} request was in flight; giving up on it`,
          );
        }
        this.options.logger.info("request-resend", { type: body.type, attempt: sends + 2 });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakeSleepers) wake();
    const connection = this.connection;
    if (connection === undefined || connection.closed) return;
    const timer = setTimeout(() => connection.destroy(), 1_000);
    await connection.close();
    clearTimeout(timer);
  }

  private async connected(): Promise<QueueConnection> {
    const current = this.connection;
    if (current !== undefined && !current.closed) return current;
    const giveUpsSeen = this.giveUps;
    return this.mutex.runExclusive(async () => {
      // Whoever held the mutex before us may have reconnected, or given up, on our behalf.
      const fresh = this.connection;
      if (fresh !== undefined && !fresh.closed) return fresh;
      if (this.closed) throw new ConnectionClosedError("the client was closed");
      if (this.giveUps !== giveUpsSeen && this.lastGiveUp !== undefined) throw this.lastGiveUp;
      try {
        return await this.reconnect();
      } catch (error) {
        this.giveUps += 1;
        this.lastGiveUp = error as Error;
        if (!this.closed) this.hooks.onGaveUp(error as Error);
        throw error;
      }
    });
  }

  private async reconnect(): Promise<QueueConnection> {
    const { endpoint, reconnect, logger } = this.options;
    const giveUpAfterMs = reconnect.giveUpAfterMs ?? 30_000;
    const startedAt = Date.now();
    for (;;) {
      // Wait even before the first attempt: a queue that accepts and drops at once must not
      // turn this loop into a busy one.
      await this.sleep(reconnectDelayMs(this.failures, reconnect));
      if (this.closed) throw new ConnectionClosedError("the client was closed");
      try {
        const connection = await this.open();
        logger.info("reconnected", { host: endpoint.host, port: endpoint.port, failures: this.failures });
        return connection;
      } catch (error) {
        if (error instanceof QueueError && fatalErrorCodes.has(error.code)) throw error;
        this.failures += 1;
        const waitedMs = Date.now() - startedAt;
        logger.debug("reconnect-failed", { error: (error as Error).message, failures: this.failures });
        if (waitedMs >= giveUpAfterMs) {
          throw new QueueUnreachableError(
            `could not reconnect to ${endpoint.host}:${endpoint.port} within ${giveUpAfterMs} ms: ${(error as Error).message}`,
          );
        }
      }
    }
  }

  private async open(): Promise<QueueConnection> {
    const { endpoint, secret, connectTimeoutMs, logger } = this.options;
    const connection = await QueueConnection.open(endpoint, { connectTimeoutMs });
    connection.onPush((message) => this.receivePush(message));
    try {
      const welcome = await connection.request({
        type: "hello",
        role: "client",
        version: PROTOCOL_VERSION,
        ...(secret !== undefined ? { secret } : {}),
      });
      const previousRunId = this.welcome?.queueRunId;
      this.welcome = welcome;
      if (previousRunId !== undefined && previousRunId !== welcome.queueRunId) {
        logger.warn("queue-restarted", { previousRunId, runId: welcome.queueRunId });
        this.hooks.onRunChanged(previousRunId, welcome.queueRunId);
      }
      await this.hooks.onConnected(connection, welcome.queueRunId);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    this.connection = connection;
    this.keepAlive(connection, this.welcome as Welcome);
    const openedAt = Date.now();
    connection.onClose((error) => this.dropped(connection, error, Date.now() - openedAt));
    return connection;
  }

  /**
   * A queue that vanished without closing the socket (host gone, cable pulled) would leave every
   * waiter hanging. So send `heartbeat` at the queue's interval and hang up ourselves when nothing
   * at all has been heard for its timeout; the usual reconnect then takes over.
   */
  private keepAlive(connection: QueueConnection, welcome: Welcome): void {
    if (welcome.heartbeatIntervalMs <= 0 || welcome.heartbeatTimeoutMs <= 0) return;
    keepAlive(connection, {
      intervalMs: welcome.heartbeatIntervalMs,
      silenceMs: welcome.heartbeatTimeoutMs,
      onSilent: (silentMs) => connection.destroy(new Error(`no word from the queue for ${silentMs} ms`)),
    });
  }

  private receivePush(message: ServerMessage): void {
    // An error without a request id is the queue explaining why it is about to hang up.
    if (message.type === "error") this.options.logger.warn("queue-error", { code: message.code, message: message.message });
    else if (message.type === "shutdown") this.options.logger.info("queue-shutting-down", { graceMs: message.graceMs });
    this.hooks.onPush(message, this.welcome?.queueRunId);
  }

  private dropped(connection: QueueConnection, error: Error | undefined, livedMs: number): void {
    if (this.closed || connection !== this.connection) return;
    // A connection that lasted was a healthy one: start the next backoff from the bottom.
    if (livedMs >= STABLE_CONNECTION_MS) this.failures = 0;
    this.options.logger.warn("connection-lost", { error: error?.message });
    if (!this.hooks.wantsConnection()) return;
    // Watched jobs report over this connection only, so get it back even if no request asks.
    // A failure reaches the hooks through onGaveUp; nothing else awaits this promise.
    this.connected().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }
}
