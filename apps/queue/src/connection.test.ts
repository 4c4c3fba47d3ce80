// What a connection writes and when, seen on stand-in sockets: real sockets cannot show the order
// in which the queue wrote to two different peers.
import { EventEmitter } from "node:events";
import type net from "node:net";
import type { Role, ServerMessage } from "@djq/protocol";
import { createLogger } from "@djq/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { Connection, type ConnectionHandler } from "./connection.js";
import { ManualClock } from "./clock.js";
import { LINGER_MS, LingeringReplies } from "./lingering-replies.js";
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

/** Whether the stand-in broker says a worker is about to be sent more (its fetch is open). */
let fetchOpen = false;
const ignore: ConnectionHandler = { heard() {}, request() {}, closed() {}, expectsMore: () => fetchOpen };
const silent = createLogger({ program: "queue", level: "silent" });

let clock = new ManualClock();

/** A gate over a stand-in appender whose records are durable below `durableBelow.seq`. */
const durableBelow = { seq: 0 };

/** A gate holding output for one batch of records below 5; `durable` settles that batch. */
function gateWithBatch(): { gate: DurabilityGate; durable: (outcome: Durable) => void } {
  const gate = new DurabilityGate({ isDurableBelow: (seq) => seq <= durableBelow.seq });
  let durable!: (outcome: Durable) => void;
  gate.hold(new Promise<Durable>((resolve) => (durable = resolve)), 5);
  return { gate, durable };
}

function connectionOf(role: Role, peer: string, gate?: DurabilityGate): Connection {
  const socket = new StandInSocket(peer) as unknown as net.Socket;
  const connection = new Connection(socket, ignore, defaultQueueConfig, silent, clock, new Turns(), new LingeringReplies(clock), gate);
  connection.role = role;
  opened.push(connection);
  return connection;
}

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));
const submitted: ServerMessage = { id: 1, type: "submitted", jobIds: [7] };
const assign: ServerMessage = { id: 2, type: "assign", jobs: [] };
const ack: ServerMessage = { id: 5, type: "ack", refused: [] };

afterEach(() => {
  for (const connection of opened.splice(0)) connection.drop();
  written = [];
  fetchOpen = false;
  durableBelow.seq = 0;
  clock = new ManualClock();
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
    const { gate, durable } = gateWithBatch();
    const beat: ServerMessage = { id: 3, type: "heartbeat" };
    const progress: ServerMessage = { type: "progress", jobId: 7, percent: 50 };
    const watcher = connectionOf("client", "watcher", gate);
    const submitter = connectionOf("client", "submitter", gate);
    watcher.send(progress, "in-order");
    watcher.send(beat, "in-order");
    submitter.send(submitted);
    await endOfTurn();
    expect(written).toEqual([`watcher: ${JSON.stringify(progress)}\n${JSON.stringify(beat)}\n`]);
    submitter.send(beat, "in-order");
    await endOfTurn();
    expect(written).toHaveLength(1);
    durable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([
      `watcher: ${JSON.stringify(progress)}\n${JSON.stringify(beat)}\n`,
      `submitter: ${JSON.stringify(submitted)}\n${JSON.stringify(beat)}\n`,
    ]);
  });

  it("with the journal on, writes a client's replies held at several turns once, when one write made all their records durable", async () => {
    const { gate, durable: firstDurable } = gateWithBatch();
    const client = connectionOf("client", "client", gate);
    const settled: ServerMessage = { type: "settled", jobs: [{ jobId: 6, state: "completed" }] };
    client.send(settled);
    await endOfTurn();
    let secondDurable!: (outcome: Durable) => void;
    gate.hold(new Promise<Durable>((resolve) => (secondDurable = resolve)), 8);
    client.send(submitted);
    await endOfTurn();
    // A third turn recorded something since, so the second is not the newest.
    gate.hold(new Promise<Durable>(() => {}), 10);
    expect(written).toEqual([]);
    durableBelow.seq = 8;
    firstDurable({ ok: true });
    secondDurable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([`client: ${JSON.stringify(settled)}\n${JSON.stringify(submitted)}\n`]);
  });

  it("with the journal on, writes a durable batch's replies to clients before those to workers", async () => {
    const { gate, durable } = gateWithBatch();
    const worker = connectionOf("worker", "worker", gate);
    const client = connectionOf("client", "client", gate);
    worker.sendLingering(ack);
    client.send(submitted);
    await endOfTurn();
    expect(written).toEqual([]);
    durable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([`client: ${JSON.stringify(submitted)}\n`, `worker: ${JSON.stringify(ack)}\n`]);
  });

  it("with the journal on, writes an ack held for a batch that a later write made durable together with the assign of that later turn", async () => {
    const { gate } = gateWithBatch();
    const worker = connectionOf("worker", "worker", gate);
    worker.sendLingering(ack);
    await endOfTurn();
    gate.hold(new Promise<Durable>(() => {}), 8);
    durableBelow.seq = 8;
    worker.send(assign, "ahead");
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(assign)}\n${JSON.stringify(ack)}\n`]);
  });

  it("lets a report's ack to a worker whose fetch is open linger for the assign that fetch brings, and leave with it in one write", async () => {
    const worker = connectionOf("worker", "worker");
    fetchOpen = true;
    worker.sendLingering(ack);
    await endOfTurn();
    expect(written).toEqual([]);
    worker.send(assign, "ahead");
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(ack)}\n${JSON.stringify(assign)}\n`]);
  });

  it("writes a lingering ack alone once the linger is over, and at once when the worker has no fetch open", async () => {
    const waiting = connectionOf("worker", "waiting");
    const busy = connectionOf("worker", "busy");
    fetchOpen = true;
    waiting.sendLingering(ack);
    await endOfTurn();
    fetchOpen = false;
    busy.sendLingering(ack);
    await endOfTurn();
    expect(written).toEqual([`busy: ${JSON.stringify(ack)}\n`]);
    clock.advance(LINGER_MS);
    expect(written).toEqual([`busy: ${JSON.stringify(ack)}\n`, `waiting: ${JSON.stringify(ack)}\n`]);
  });

  it("with the journal on, sends an assign at once, ahead of a reply held for the journal", async () => {
    const { gate, durable } = gateWithBatch();
    const worker = connectionOf("worker", "worker", gate);
    worker.sendLingering(ack);
    await endOfTurn();
    expect(written).toEqual([]);
    worker.send(assign, "ahead");
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(assign)}\n`]);
    durable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(assign)}\n`, `worker: ${JSON.stringify(ack)}\n`]);
  });

  it("with the journal on, lets an ack whose records are written already linger for the assign, as without the journal", async () => {
    const { gate } = gateWithBatch();
    durableBelow.seq = 5;
    const worker = connectionOf("worker", "worker", gate);
    fetchOpen = true;
    worker.sendLingering(ack);
    await endOfTurn();
    expect(written).toEqual([]);
    worker.send(assign, "ahead");
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(assign)}\n${JSON.stringify(ack)}\n`]);
  });

  it("with the journal on, lets an ack linger for the assign from when its records are durable", async () => {
    const { gate, durable } = gateWithBatch();
    const worker = connectionOf("worker", "worker", gate);
    fetchOpen = true;
    worker.sendLingering(ack);
    await endOfTurn();
    durable({ ok: true });
    await endOfTurn();
    expect(written).toEqual([]);
    worker.send(assign, "ahead");
    await endOfTurn();
    expect(written).toEqual([`worker: ${JSON.stringify(ack)}\n${JSON.stringify(assign)}\n`]);
  });
});
