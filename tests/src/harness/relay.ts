// A TCP relay between a worker and the queue that can silently stop forwarding in both
// directions: a network partition with no FIN and no RST, as a cut cable would give.
import net from "node:net";

export class PartitionRelay {
  private partitioned = false;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly targetPort: number) {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect({ port: targetPort, host: "127.0.0.1" });
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => this.sockets.delete(socket));
      }
      inbound.on("data", (chunk) => {
        if (!this.partitioned) outbound.write(chunk);
      });
      outbound.on("data", (chunk) => {
        if (!this.partitioned) inbound.write(chunk);
      });
      // During a partition a close does not travel either: nothing reaches the other side.
      inbound.on("close", () => {
        if (!this.partitioned) outbound.destroy();
      });
      outbound.on("close", () => {
        if (!this.partitioned) inbound.destroy();
      });
    });
  }

  static async start(targetPort: number): Promise<PartitionRelay & { port: number }> {
    const relay = new PartitionRelay(targetPort);
    await new Promise<void>((resolve) => relay.server.listen({ port: 0, host: "127.0.0.1" }, resolve));
    return Object.assign(relay, { port: (relay.server.address() as net.AddressInfo).port });
  }

  partition(): void {
    this.partitioned = true;
  }

  heal(): void {
    this.partitioned = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
