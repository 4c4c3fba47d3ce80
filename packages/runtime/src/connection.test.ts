import net from "node:net";
import { FrameDecoder, encodeFrame } from "@djq/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionClosedError, QueueConnection, QueueError } from "./connection.js";

let server: net.Server | undefined;
afterEach(() => server?.close());

/** A queue stand-in that answers each request with the messages `reply(request)` returns. */
async function fakeQueue(reply: (request: Record<string, unknown>) => object[]): Promise<number> {
  server = net.createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on("data", (chunk) =>
      decoder.push(chunk, (frame) => {
        for (const answer of reply(JSON.parse(frame) as Record<string, unknown>)) socket.write(encodeFrame(answer));
      }),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return (server?.address() as net.AddressInfo).port;
}

describe("QueueConnection", () => {
  it("matches pipelined replies to their requests by id, in whatever order they come", async () => {
    const held: Record<string, unknown>[] = [];
    const port = await fakeQueue((request) => {
      held.push(request);
      if (held.length < 2) return [];
      // The second request is answered first.
      return [
        { id: request.id, type: "ok" },
        { id: (held[0] as Record<string, unknown>).id, type: "heartbeat" },
      ];
    });
    const connection = await QueueConnection.open({ host: "127.0.0.1", port });
    const one = connection.request({ type: "heartbeat" });
    const two = connection.request({ type: "cancel", jobId: 4 });
    await expect(two).resolves.toEqual({ id: 2, type: "ok" });
    await expect(one).resolves.toEqual({ id: 1, type: "heartbeat" });
    connection.destroy();
    await expect(connection.request({ type: "heartbeat" })).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("rejects a request answered with an error as a QueueError carrying the code", async () => {
    const port = await fakeQueue((request) => [{ id: request.id, type: "error", code: "unknown-job", message: "no job 9" }]);
    const connection = await QueueConnection.open({ host: "127.0.0.1", port });
    const failure = await connection.request({ type: "status", jobId: 9 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueueError);
    expect(failure).toMatchObject({ code: "unknown-job", message: "no job 9" });
    connection.destroy();
  });

  it("hands messages without a matching id to push handlers", async () => {
    const port = await fakeQueue(() => [{ type: "shutdown", graceMs: 5 }]);
    const connection = await QueueConnection.open({ host: "127.0.0.1", port });
    const pushed = new Promise((resolve) => connection.onPush(resolve));
    void connection.request({ type: "heartbeat" }).catch(() => undefined);
    await expect(pushed).resolves.toEqual({ type: "shutdown", graceMs: 5 });
    connection.destroy();
  });
});
