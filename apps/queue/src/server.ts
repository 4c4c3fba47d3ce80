// The listening socket: plain TCP or TLS, a cap on connections, and an orderly close. Each
// accepted socket becomes a Connection wired to the broker.
import net from "node:net";
import tls from "node:tls";
import { ErrorCode, encodeFrame } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { Broker } from "./broker.js";
import { Connection } from "./connection.js";
import type { QueueConfig } from "./queue-config.js";
import { LingeringReplies } from "./lingering-replies.js";
import { Turns } from "./turns.js";

export class QueueServer {
  private readonly server: net.Server;
  private readonly turns: Turns;
  private readonly lingeringReplies: LingeringReplies;

  constructor(
    private readonly broker: Broker,
    private readonly config: QueueConfig,
    private readonly log: Logger,
  ) {
    this.lingeringReplies = new LingeringReplies(broker.clock);
    // A turn's records go to the journal as one batch (see JournalAppender.endTurn).
    this.turns = new Turns(() => broker.journal);
    const accept = (socket: net.Socket) => this.accept(socket);
    this.server = config.tls ? tls.createServer({ cert: config.tls.cert, key: config.tls.key }, accept) : net.createServer(accept);
    this.server.on("error", (error) => log.error("server.error", { error: error.message }));
    if (config.tls) {
      this.server.on("tlsClientError", (error) => log.info("connection.tls-failed", { error: error.message }));
    }
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.config.host, port: this.config.port }, () => {
        this.server.off("error", reject);
        const address = this.server.address() as net.AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  get connectionCount(): number {
    return this.broker.connections.size;
  }

  /** Stops accepting; existing connections stay until closed by `closeAll`. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  closeAll(): void {
    for (const connection of this.broker.connections.values()) connection.end();
  }

  private accept(socket: net.Socket): void {
    if (this.broker.connections.size >= this.config.maxConnections) {
      this.log.warn("connection.rejected", { remote: socket.remoteAddress, reason: "connection limit", limit: this.config.maxConnections });
      socket.on("error", () => {});
      socket.end(
        encodeFrame({
          type: "error",
          code: ErrorCode.tooManyConnections,
          message: `the queue is at its limit of ${this.config.maxConnections} connections`,
        }),
      );
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    const journal = this.broker.journal;
    const connection = new Connection(socket, this.broker, this.config, this.log, this.broker.clock, this.turns, this.lingeringReplies, journal?.gate, journal?.backlog);
    this.broker.opened(connection);
    this.log.debug("connection.opened", { conn: connection.id, remote: connection.remote });
  }
}
