// A bare NDJSON connection for wire-transcript tests: write exact lines, read exact replies.
import net from "node:net";

export class RawSocket {
  private buffer = "";
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.buffer += text;
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() ?? "";
      this.lines.push(...parts.filter((l) => l.length > 0));
      this.waiting?.();
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        this.waiting?.();
        resolve();
      }),
    );
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawSocket(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(message: unknown): void {
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  /** The next message from the queue, parsed. */
  async next(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error("the connection closed before a message arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    return JSON.parse(this.lines.shift() as string) as Record<string, unknown>;
  }

  async request(message: Record<string, unknown>, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    this.send(message);
    return this.next(timeoutMs);
  }

  async hello(role: "client" | "worker" | "liveness", extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.request({ id: 0, type: "hello", role, version: 1, ...extra });
  }

  waitClosed(timeoutMs = 5_000): Promise<void> {
    return Promise.race([
      this.closedPromise,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs)),
    ]);
  }

  close(): void {
    this.socket.destroy();
  }
}
