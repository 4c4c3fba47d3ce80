// A TCP relay between a peer (worker or client) and the queue that can fail the way networks do:
// silently stop forwarding in both directions (a partition with no FIN and no RST, as a cut cable
// would give), or cut a connection just before a chosen reply gets through.
import net from "node:net";
import { StringDecoder } from "node:string_decoder";

export class PartitionRelay {
  private partitioned = false;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted during a partition: their peer's SYN would not get through either. */
  private readonly held = new Set<net.Socket>();
  private cut: { match: (line: string) => boolean; done: () => void } | undefined;

  private constructor(readonly targetPort: number) {
    this.server = net.createServer((inbound) => {
      this.track(inbound);
      if (!this.partitioned) {
        this.link(inbound);
        return;
      }
      // Nothing is read until the heal; then what the peer wrote meanwhile goes through, as TCP
      // retransmission would deliver it.
      inbound.pause();
      this.held.add(inbound);
      inbound.on("close", () => this.held.delete(inbound));
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
    for (const inbound of this.held) {
      this.link(inbound);
      inbound.resume();
    }
    this.held.clear();
  }

  /**
   * Once: the next line from the queue that `match`es is not delivered; both sides of its
   * connection are destroyed instead, so the peer never learns the answer to what it sent.
   * Resolves when that cut has happened.
   */
  cutBefore(match: (line: string) => boolean): Promise<void> {
    return new Promise((done) => {
      this.cut = { match, done };
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => this.sockets.delete(socket));
  }

  private link(inbound: net.Socket): void {
    const outbound = net.connect({ port: this.targetPort, host: "127.0.0.1" });
    this.track(outbound);
    // Once a cut is armed, this connection forwards whole lines only, so the cut falls exactly
    // before the matching one.
    let decoder: StringDecoder | undefined;
    let partial = "";
    inbound.on("data", (chunk: Buffer) => {
      if (!this.partitioned) outbound.write(chunk);
    });
    outbound.on("data", (chunk: Buffer) => {
      if (this.partitioned) return;
      if (decoder === undefined && this.cut === undefined) {
        inbound.write(chunk);
        return;
      }
      decoder ??= new StringDecoder("utf8");
      partial += decoder.write(chunk);
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const cut = this.cut;
        if (cut !== undefined && cut.match(line)) {
          this.cut = undefined;
          inbound.destroy();
          outbound.destroy();
          cut.done();
          return;
        }
        inbound.write(`${line}\n`);
      }
    });
    // During a partition a close does not travel either: nothing reaches the other side.
    inbound.on("close", () => {
      if (!this.partitioned) outbound.destroy();
    });
    outbound.on("close", () => {
      if (!this.partitioned) inbound.destroy();
    });
  }
}
