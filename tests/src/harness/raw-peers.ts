// Raw sockets opened by a test file, closed after each test, and a client that has said hello:
// the peers hostile-input tests play.
import { afterEach, expect } from "vitest";
import type { QueueProcess } from "./processes.js";
import { RawSocket } from "./raw-socket.js";

const sockets: RawSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

export async function connect(port: number): Promise<RawSocket> {
  const socket = await RawSocket.connect(port);
  sockets.push(socket);
  return socket;
}

export async function client(queue: QueueProcess): Promise<RawSocket> {
  const socket = await connect(queue.port);
  expect(await socket.hello("client")).toMatchObject({ type: "welcome" });
  return socket;
}
