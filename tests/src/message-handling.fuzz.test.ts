// Property: whatever a connection sends — random bytes, or valid messages with a field dropped,
// retyped or added — the queue answers or closes that connection, keeps serving others, and its
// core's invariants hold after every case.
import { checkInvariants } from "@djq/core";
import { createLogger } from "@djq/runtime";
import fc from "fast-check";
import { startQueueServer, type RunningQueue } from "@djq/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawSocket } from "./harness/raw-socket.js";

const valid: Record<string, unknown>[] = [
  { id: 1, type: "submit", jobs: [{ durationMs: 5, payload: { a: 1 } }], watch: true, key: "k" },
  { id: 2, type: "status", jobId: 1 },
  { id: 3, type: "cancel", jobId: 2 },
  { id: 4, type: "retry", jobId: 1 },
  { id: 5, type: "list", state: "pending", limit: 5 },
  { id: 6, type: "stats" },
  { id: 7, type: "pause", queue: "q" },
  { id: 8, type: "resume", queue: "q" },
  { id: 9, type: "watch", jobIds: [1] },
  { id: 10, type: "fetch", max: 2 },
  { id: 11, type: "complete", jobs: [{ jobId: 1, lease: 1, result: "r" }] },
  { id: 12, type: "fail", jobs: [{ jobId: 1, lease: 1, error: "e" }] },
  { id: 13, type: "release", jobs: [{ jobId: 1, lease: 1 }] },
  { id: 14, type: "extend", jobId: 1, lease: 1 },
  { id: 15, type: "progress", jobId: 1, lease: 1, percent: 50 },
  { id: 16, type: "heartbeat" },
  { id: 17, type: "withdraw" },
];

const mutated = fc
  .tuple(fc.constantFrom(...valid), fc.nat(), fc.jsonValue(), fc.string({ maxLength: 8 }), fc.nat(3))
  .map(([message, pick, value, junkKey, how]) => {
    const copy: Record<string, unknown> = structuredClone(message);
    const keys = Object.keys(copy);
    const key = keys[pick % keys.length] as string;
    if (how === 0) delete copy[key];
    else if (how === 1) copy[key] = value;
    else if (how === 2) copy[junkKey || "x"] = value;
    return `${JSON.stringify(copy)}\n`;
  });

const line = fc.oneof(
  mutated,
  fc.constantFrom(...valid).map((m) => `${JSON.stringify(m)}\n`),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from(bytes), Buffer.from("\n")])),
  fc.string({ maxLength: 100 }).map((text) => `${text}\n`),
);

describe("the queue's message handling under random input", () => {
  let queue: RunningQueue;
  beforeAll(async () => {
    queue = await startQueueServer({ host: "127.0.0.1", port: 0, maxErrors: 1_000 }, createLogger({ program: "queue", level: "silent" }));
  });
  afterAll(async () => {
    await queue.shutDown(0);
  });

  it("stays up and keeps its invariants after every case", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("client", "worker"), fc.array(line, { minLength: 1, maxLength: 8 }), async (role, lines) => {
        const socket = await RawSocket.connect(queue.port);
        try {
          await socket.hello(role as "client" | "worker", role === "worker" ? { workerId: `fuzz-${Math.random()}` } : {});
          for (const text of lines) socket.write(text);
          socket.send({ id: "probe", type: "heartbeat" });
          for (;;) {
            const reply = await socket.next(2_000).catch(() => undefined);
            if (reply === undefined || reply.id === "probe") break;
          }
        } finally {
          socket.close();
        }
        checkInvariants(queue.broker.core);
        const probe = await RawSocket.connect(queue.port);
        expect(await probe.hello("client")).toMatchObject({ type: "welcome" });
        probe.close();
      }),
      { numRuns: 150 },
    );
  });
});
