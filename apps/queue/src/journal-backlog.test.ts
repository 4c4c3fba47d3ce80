import { createLogger } from "@djq/runtime";
import { describe, expect, it } from "vitest";
import type { Durable } from "./journal/index.js";
import { JournalBacklog } from "./journal-backlog.js";

const silent = createLogger({ program: "queue", level: "silent" });

function batch(): { durable: Promise<Durable>; settle: () => void } {
  let settle!: () => void;
  const durable = new Promise<Durable>((resolve) => (settle = () => resolve({ ok: true })));
  return { durable, settle };
}

describe("the journal's backlog", () => {
  it("counts every event's records of a batch in and counts them out when the batch settles, then reads the waiting connections again", async () => {
    const backlog = new JournalBacklog(100, silent);
    const first = batch();
    const second = batch();
    backlog.appended(60, first.durable);
    backlog.appended(60, first.durable);
    backlog.appended(30, second.durable);
    expect(backlog.bytes).toBe(150);
    expect(backlog.full).toBe(true);
    let resumed = 0;
    backlog.wait({ id: 1, role: "client", resumeReading: () => (resumed += 1) });
    first.settle();
    await first.durable;
    await Promise.resolve();
    expect(backlog.bytes).toBe(30);
    expect(resumed).toBe(1);
    second.settle();
    await second.durable;
    await Promise.resolve();
    expect(backlog.bytes).toBe(0);
  });
});
