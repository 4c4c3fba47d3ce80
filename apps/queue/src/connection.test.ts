// What a connection writes and when, seen on stand-in sockets: real sockets cannot show the order
// in which the queue wrote to two different peers.
import { EventEmitter } from "node:events";
import type net from "node:net";
import type { Role, ServerMessage } from "@djq/protocol";
import { createLogger } from "@djq/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { Connection, type ConnectionHandler } from "./connection.js";
import { ManualClock } from "./clock.js";
import { Turns } from "./turns.js";
import { defaultQueueConfig } from "./queue-config.js";
import { DurabilityGate } from "./durability-gate.js";
import type { Durable } from "./journal/index.js";

/** Every write to any stand-in socket, in order, as "peer: text". */
let written: string[] = [];
const opened: Connection[] = [];

class StandInSocket extends EventEmitter {
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 1;
  readonly writableLength = 0;
  constructor(private readonly peer: string) {
    super();
  }
  setNoDelay(): void {}
  write(text: string): boolean {
    written.push(`${this.peer}: ${text}`);
    return true;
  }
  end(): void {}
  destroy(): void {}
}

const ignore: ConnectionHandler = { heard() {}, request() {}, closed() {} };
const silent = createLogger({ program: "queue", level: "silent" });

function connectionOf(role: Role, peer: string, gate?: DurabilityGate): Connection {
  const connection = new Connection(new StandInSocket(peer) as unknown as net.Socket, ignore, defaultQueueConfig, silent, new ManualClock(), new Turns(), gate);
  connection.role = role;
  opened.push(connection);
  return connection;
}

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));
const submitted: ServerMessage = { id: 1, type: "submitted", jobIds: [7] };
const assign: ServerMessage = { id: 2, type: "assign", jobs: [] };

afterEach(() => {
  for (const connection of opened.splice(0)) connection.drop();
  written = [];
});

describe("a connection's writes", () => {
  it("joins the messages of one turn to one peer into one write", async () => {
    const client = connectionOf("client", "client");
    client.send(submitted);
    client.send({ type: "settled", jobs: [{ jobId: 7, state: "completed" }] });
    expect(written).toEqual([]);
    await endOfTurn();
    expect(written).toEqual([`client: ${JSON.stringify(submitted)}\n{"type":"settled","jobs":[{"jobId":7,"state":"completed"}]}\n`]);
  });

  it("writes a worker's messages of a turn before a client's, whichever was sent first", async () => {
    const client = connectionOf("client", "client");
    const worker = connectionOf("worker", "worker");
    client.send(submitted);
    worker.send(assign);
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(assign)}\n`, `client: ${JSON.stringify(submitted)}\n`]);
  });

  it("with the journal on, holds what acknowledges a change until its batch is durable, and lets a heartbeat reply or a progress push go at once unless something before it is held", async () => {
    const gate = new DurabilityGate();
    let durable!: (outcome: Durable) => void;
    gate.hold(new Promise<Durable>((resolve) => (durable = resolve)));
    const beat: ServerMessage = { id: 3, type: "heartbeat" };
    const progress: ServerMessage = { type: "progress", jobId: 7, percent: 50 };
    const watcher = connectionOf("client", "watcher", gate);
    const submitter = connectionOf("client", "submitter", gate);
    watcher.send(progress, false);
    watcher.send(beat, false);
    submitter.send(submitted);
    await endOfTurn();
    expect(written).toEqual([`watcher: ${JSON.stringify(progress)}\n${JSON.stringify(beat)}\n`]);
    submitter.send(beat, false);
    await endOfTurn();
    expect(written).toHaveLength(1);
    durable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([
      `watcher: ${JSON.stringify(progress)}\n${JSON.stringify(beat)}\n`,
      `submitter: ${JSON.stringify(submitted)}\n${JSON.stringify(beat)}\n`,
    ]);
  });
});
