// The peer side of one connection to the queue, shared by workers and clients: framing,
// request numbering and reply matching. Reconnecting is the caller's policy, not this file's.
import net from "node:net";
import tls from "node:tls";
import {
  DEFAULT_FRAME_BYTES,
  ErrorCode,
  FrameDecoder,
  encodeRequestFrame,
  parseServerMessage,
  type ReplyTo,
  type RequestBody,
  type ServerMessage,
} from "@djq/protocol";

export interface TlsClientOptions {
  /** PEM of the CA that signed the queue's certificate. */
  ca?: string | Buffer;
  servername?: string;
}

export interface Endpoint {
  host: string;
  port: number;
  tls?: TlsClientOptions;
}

export interface ConnectionOptions {
  connectTimeoutMs?: number;
  maxFrameBytes?: number;
}

export class QueueError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "QueueError";
  }
}

export class ConnectionClosedError extends Error {
  constructor(message = "the connection to the queue closed") {
    super(message);
    this.name = "ConnectionClosedError";
  }
}

interface PendingRequest {
  resolve: (message: ServerMessage) => void;
  reject: (error: Error) => void;
}

type PushHandler = (message: ServerMessage) => void;
/** A request's frame, newline included, made for the id the connection gives it. */
export type EncodedRequest = (id: number) => string;
type CloseHandler = (error: Error | undefined) => void;

export class QueueConnection {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly pushHandlers: PushHandler[] = [];
  private readonly closeHandlers: CloseHandler[] = [];
  /** Frames written in this tick, sent together at its end. */
  private unsent: string[] = [];
  private closedWith: Error | undefined | null = null;
  /** Date.now() of the last frame received; workers use it to notice a silent queue. */
  lastHeardAt = Date.now();

  private constructor(private readonly socket: net.Socket, maxFrameBytes: number) {
    const decoder = new FrameDecoder(maxFrameBytes);
    const onFrame = (frame: string) => this.receive(frame);
    socket.on("data", (chunk: Buffer) => {
      const error = decoder.push(chunk, onFrame);
      if (error !== undefined) this.destroy(new Error(`bad frame from the queue: ${error.message}`));
    });
    socket.on("error", (error) => this.finish(error));
    socket.on("close", () => this.finish(undefined));
  }

  static open(endpoint: Endpoint, options: ConnectionOptions = {}): Promise<QueueConnection> {
    const timeoutMs = options.connectTimeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const socket = endpoint.tls
        ? tls.connect({
            host: endpoint.host,
            port: endpoint.port,
            ...(endpoint.tls.ca !== undefined ? { ca: endpoint.tls.ca } : {}),
            // SNI names hosts, never addresses (RFC 6066); an IP is checked against the IP SANs instead.
            ...(endpoint.tls.servername !== undefined || net.isIP(endpoint.host) === 0
              ? { servername: endpoint.tls.servername ?? endpoint.host }
              : {}),
          })
        : net.connect({ host: endpoint.host, port: endpoint.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${endpoint.host}:${endpoint.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const readyEvent = endpoint.tls ? "secureConnect" : "connect";
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once("error", fail);
      socket.once(readyEvent, () => {
        clearTimeout(timer);
        socket.off("error", fail);
        resolve(new QueueConnection(socket, options.maxFrameBytes ?? DEFAULT_FRAME_BYTES));
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** The queue's IP address as connected: a second connection to it needs no name lookup. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /**
   * Sends a request and resolves with its reply; an `error` reply rejects with a QueueError.
   * `frame`, when given, is the request already encoded around its id (the same text
   * encodeFrame({ id, ...body }) would make), for a caller that had to encode its parts anyway.
   */
  request<T extends RequestBody>(body: T, frame?: EncodedRequest): Promise<ReplyTo<T["type"]>> {
    if (this.closedWith !== null) return Promise.reject(new ConnectionClosedError());
    const id = this.nextId++;
    return new Promise<ReplyTo<T["type"]>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (message: ServerMessage) => void, reject });
      this.write(frame === undefined ? encodeRequestFrame(id, body) : frame(id));
    });
  }

  onPush(handler: PushHandler): void {
    this.pushHandlers.push(handler);
  }

  onClose(handler: CloseHandler): void {
    if (this.closedWith !== null) handler(this.closedWith);
    else this.closeHandlers.push(handler);
  }

  /** Ends the connection after what was written is flushed. */
  close(): Promise<void> {
    if (this.closedWith !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      if (this.unsent.length > 0) this.flush();
      this.socket.end();
    });
  }

  destroy(error?: Error): void {
    this.socket.destroy();
    this.finish(error);
  }

  private write(frame: string): void {
    // Writes made in one tick go out as one string in one write: pipelined requests cost one
    // syscall. (Corking the socket instead costs a writev of many chunks, each converted alone.)
    if (this.unsent.length === 0) process.nextTick(this.flush);
    this.unsent.push(frame);
  }

  private readonly flush = (): void => {
    const frames = this.unsent;
    this.unsent = [];
    if (frames.length === 0 || this.closedWith !== null || this.socket.writableEnded) return;
    this.socket.write(frames.length === 1 ? (frames[0] as string) : frames.join(""));
  };

  private receive(frame: string): void {
    this.lastHeardAt = Date.now();
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) {
      this.destroy(new Error(`unreadable message from the queue: ${parsed.message}`));
      return;
    }
    const message = parsed.message;
    const id = "id" in message ? message.id : undefined;
    const waiting = typeof id === "number" ? this.pending.get(id) : undefined;
    if (waiting === undefined) {
      for (const handler of this.pushHandlers) handler(message);
      return;
    }
    this.pending.delete(id as number);
    if (message.type === "error") waiting.reject(new QueueError(message.code, message.message));
    else waiting.resolve(message);
  }

  private finish(error: Error | undefined): void {
    if (this.closedWith !== null) return;
    this.closedWith = error;
    const closedError = new ConnectionClosedError(
      error ? `the connection to the queue closed: ${error.message}` : undefined,
    );
    for (const request of this.pending.values()) request.reject(closedError);
    this.pending.clear();
    for (const handler of this.closeHandlers) handler(error);
    this.closeHandlers.length = 0;
  }
}
