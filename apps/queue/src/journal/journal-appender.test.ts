// The appender over real files: one write and one sync per turn however many records the turn
// appended, promises that settle in append order, the interval mode's deferred sync, and a
// full disk (a real file-size limit on a real process) answered with journal-unavailable.
import { existsSync } from "node:fs";
import { cp, readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JournalAppender, PATIENCE_MS, PREALLOCATE_BYTES, type Durable } from "./journal-appender.js";
import { FILE_HEADER_BYTES } from "./record-frame.js";
import { journalFileName } from "./journal-files.js";
import { appenderOptions, completed, keptLog, replay, submitted, temporaryDirectory } from "./test-support/journal-fixtures.js";
import { builtJournalModule, startJournalProgram } from "./test-support/journal-program.js";

/** util-linux's prlimit, found by path so that a narrowed PATH does not hide it. */
const prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].find((path) => existsSync(path));

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await temporaryDirectory()));
afterEach(() => remove());

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("the journal appender", () => {
  it("writes and syncs everything one turn appended with one write and one fdatasync", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    const before = { ...appender.stats };
    const promises = Array.from({ length: 100 }, (_, i) => appender.append(submitted(i + 1)));
    expect(new Set(promises).size).toBe(1);
    expect(appender.unwrittenBytes).toBe(appender.stats.appendedBytes - before.appendedBytes);
    expect(await promises[0]).toEqual({ ok: true });
    expect(appender.unwrittenBytes).toBe(0);
    expect(appender.stats.batches - before.batches).toBe(1);
    expect(appender.stats.syncs - before.syncs).toBe(1);
    expect(appender.stats.records - before.records).toBe(100);
    for (let turn = 0; turn < 3; turn += 1) expect(await appender.append(submitted(101 + turn))).toEqual({ ok: true });
    expect(appender.stats.syncs - before.syncs).toBe(4);
    await appender.close();
    expect((await replay(dir)).records).toHaveLength(103);
  });

  it("writes the turns that came while one write and sync were in flight together, in one write and one sync", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    const before = { ...appender.stats };
    const pending: Promise<Durable>[] = [];
    // Ten turns as the queue marks them, one after another in this call: the first turn's write
    // is handed to the disk as it ends, and its completion can only come back through the event
    // loop, so the nine turns after it all end while it is in flight. (Turns a pass of the loop
    // apart would race a synced write that may take less than a pass.)
    for (let turn = 1; turn <= 10; turn += 1) {
      appender.beginTurn();
      pending.push(appender.append(submitted(turn)));
      appender.endTurn();
    }
    expect(appender.stats.writesStarted - before.writesStarted).toBe(1);
    await Promise.all(pending);
    // One write per turn would be ten.
    expect(appender.stats.batches - before.batches).toBe(2);
    expect(appender.stats.syncs - before.syncs).toBe(2);
    await appender.close();
    expect((await replay(dir)).records).toHaveLength(10);
  });

  it("settles the turns' promises in the order they appended, batching turns that come during a flush", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    const settled: number[] = [];
    const pending: Promise<Durable>[] = [];
    for (let turn = 1; turn <= 30; turn += 1) {
      const done = appender.append(submitted(turn));
      pending.push(done);
      void done.then(() => settled.push(turn));
      await nextTurn();
    }
    await Promise.all(pending);
    await nextTurn();
    expect(settled).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(appender.stats.batches).toBeLessThanOrEqual(30);
    await appender.close();
    expect((await replay(dir)).records.map((r) => (r.type === "job" ? r.jobId : 0))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("in interval mode resolves once written and syncs within the interval, once for all the writes in it", async () => {
    // 500 ms: five awaited writes must end before the interval does, even on a loaded machine
    // (at 40 ms, two full test runs side by side let a sync in between).
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fsync: "interval", fsyncIntervalMs: 500 }));
    const syncsBefore = appender.stats.syncs;
    const sizeBefore = (await stat(join(dir, journalFileName("segment", 1)))).size;
    const started = performance.now();
    for (let turn = 1; turn <= 5; turn += 1) expect(await appender.append(submitted(turn))).toEqual({ ok: true });
    expect(appender.stats.syncs).toBe(syncsBefore);
    expect((await stat(join(dir, journalFileName("segment", 1)))).size).toBeGreaterThan(sizeBefore);
    await until(() => appender.stats.syncs > syncsBefore, 5_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    expect(appender.stats.syncs).toBe(syncsBefore + 1);
    await appender.close();
  });

  it("in interval mode writes a turn's records when the turn ends, so they are known written before any reply is flushed", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fsync: "interval" }));
    const before = appender.stats.batches;
    void appender.append(submitted(1));
    void appender.append(submitted(2));
    const end = appender.seq;
    expect(appender.isDurableBelow(end)).toBe(false);
    appender.endTurn();
    expect(appender.isDurableBelow(end)).toBe(true);
    expect(appender.stats.batches - before).toBe(1);
    await appender.close();
    expect((await replay(dir)).records).toEqual([submitted(1), submitted(2)]);
  });

  it("with fsync always hands a turn's write to the disk as the turn ends, before the ticks the turn queued", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    const before = appender.stats.writesStarted;
    let startedWhenTickRan: number | undefined;
    appender.beginTurn();
    const durable = appender.append(submitted(1));
    // As a connection queues the flush of an assign made in the turn.
    process.nextTick(() => (startedWhenTickRan = appender.stats.writesStarted - before));
    appender.endTurn();
    expect(appender.stats.writesStarted - before).toBe(1);
    expect(await durable).toEqual({ ok: true });
    expect(startedWhenTickRan).toBe(1);
    await appender.close();
    expect((await replay(dir)).records).toEqual([submitted(1)]);
  });

  it("in interval mode syncs at once when asked to, without waiting for the interval", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fsync: "interval", fsyncIntervalMs: 60_000 }));
    const syncsBefore = appender.stats.syncs;
    void appender.append(submitted(1));
    expect(await appender.sync()).toEqual({ ok: true });
    expect(appender.stats.syncs).toBe(syncsBefore + 1);
    expect(appender.stats.records).toBe(1);
    await appender.close();
  });

  it("starts a new segment when one passes its size, and the segments replay as one log", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { segmentBytes: 400 }));
    for (let turn = 1; turn <= 20; turn += 1) await appender.append(submitted(turn));
    await appender.close();
    const segments = (await readdir(dir)).filter((name) => name.startsWith("segment-"));
    expect(segments.length).toBeGreaterThanOrEqual(5);
    for (const name of segments) expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(400);
    expect((await replay(dir)).records).toHaveLength(20);
  });

  it("with fsync always writes zeros ahead of its records, grows by them, and cuts them when it closes", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { segmentBytes: 4 * PREALLOCATE_BYTES }));
    const path = join(dir, journalFileName("segment", 1));
    const recordsEnd = () => appender.stats.bytes;
    const sizes: number[] = [];
    let jobId = 0;
    while (recordsEnd() < 1.5 * PREALLOCATE_BYTES) {
      const turn = Array.from({ length: 100 }, () => appender.append(completed((jobId += 1), "x".repeat(1000))));
      for (const durable of await Promise.all(turn)) expect(durable).toEqual({ ok: true });
      const bytes = await readFile(path);
      expect(bytes.length).toBeGreaterThan(recordsEnd());
      expect(bytes.subarray(recordsEnd()).every((byte) => byte === 0)).toBe(true);
      sizes.push(bytes.length);
    }
    // Grown once, past the first zeros, by the frames that did not fit and the next zeros.
    expect(new Set(sizes).size).toBe(2);
    expect(sizes[0]).toBe(FILE_HEADER_BYTES + PREALLOCATE_BYTES);
    // A queue killed now leaves the zeros: recovery reads every record and cuts them, saying so.
    const killed = `${dir}-killed`;
    await cp(dir, killed, { recursive: true });
    try {
      const { records, log } = await replay(killed);
      expect(records).toHaveLength(jobId);
      expect(log.lines.map((line) => line.event)).toEqual(["journal.zeros-cut"]);
      expect((await stat(join(killed, journalFileName("segment", 1)))).size).toBe(recordsEnd());
    } finally {
      await rm(killed, { recursive: true, force: true });
    }
    await appender.close();
    expect((await stat(path)).size).toBe(recordsEnd());
  });

  it("with fsync interval writes no zeros ahead: its writes only reach the page cache", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fsync: "interval" }));
    await appender.append(submitted(1));
    expect((await stat(join(dir, journalFileName("segment", 1)))).size).toBe(appender.stats.bytes);
    await appender.close();
  });

  it("refuses a record larger than its limit with journal-unavailable and takes nothing after it", async () => {
    const log = keptLog();
    const appender = await JournalAppender.open(appenderOptions(dir, log, { maxRecordBytes: 300 }));
    expect(await appender.append(submitted(1))).toEqual({ ok: true });
    const big = completed(1, "x".repeat(400));
    expect(await appender.append(big)).toEqual({ ok: false, code: "journal-unavailable", message: expect.stringContaining("larger than the journal's 300") });
    expect(await appender.append(submitted(2))).toEqual(expect.objectContaining({ ok: false, code: "journal-unavailable" }));
    expect(appender.unavailable).toContain("larger");
    expect(log.events("journal.unavailable")).toHaveLength(1);
    await appender.close();
    expect((await replay(dir)).records).toEqual([submitted(1)]);
  });
});

describe("the journal appender between a client's requests", () => {
  // Only the patience timer is faked: the writes are real, so a batch that did not wait is
  // written without the test moving the clock, and one that waits is written only once it does.
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  const settledFlag = (promise: Promise<Durable>) => {
    const flag = { settled: false };
    void promise.then(() => (flag.settled = true));
    return flag;
  };

  it.each(["always", "interval"] as const)("holds a worker's record back after a write that answered a client, and writes it with the client's next request (fsync %s)", async (fsync) => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fsync }));
    expect(await appender.append(submitted(1))).toEqual({ ok: true });
    const before = appender.stats.batches;
    const report = settledFlag(appender.append(completed(1), false));
    for (let turn = 0; turn < 5; turn += 1) await nextTurn();
    expect(report.settled).toBe(false);
    expect(appender.stats.batches).toBe(before);
    expect(await appender.append(submitted(2))).toEqual({ ok: true });
    expect(report.settled).toBe(true);
    expect(appender.stats.batches - before).toBe(1);
    await appender.close();
    expect((await replay(dir)).records).toEqual([submitted(1), completed(1), submitted(2)]);
  });

  it("writes a held-back record alone once the patience is over, and the next one at once", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    expect(await appender.append(submitted(1))).toEqual({ ok: true });
    const reported = appender.append(completed(1), false);
    const report = settledFlag(reported);
    await nextTurn();
    expect(report.settled).toBe(false);
    vi.advanceTimersByTime(PATIENCE_MS);
    expect(await reported).toEqual({ ok: true });
    // The last write answered no client: the next worker's record waits for nothing.
    expect(await appender.append(completed(2), false)).toEqual({ ok: true });
    await appender.close();
    expect((await replay(dir)).records).toHaveLength(3);
  });

});

describe("the journal appender on a full disk", () => {
  const built = builtJournalModule("journal-appender.js");

  // The child appends until the file-size limit stops it; Node ignores SIGXFSZ, so the write
  // fails (short, then EFBIG) instead of the process being killed.
  const program = `
    import { JournalAppender } from ${JSON.stringify(built)};
    import { createLogger } from "@djq/runtime";
    const log = createLogger({ program: "fill", format: "json" });
    const appender = await JournalAppender.open({ dir: process.argv[1], fileNumber: 1, nextSeq: 1, fsync: "always",
      fsyncIntervalMs: 50, maxRecordBytes: 1 << 20, segmentBytes: 1 << 20, log });
    const acknowledged = [];
    let refusal;
    for (let jobId = 1; jobId <= 10000 && refusal === undefined; jobId += 1) {
      // 101 bytes of payload: a record then straddles the 8,192-byte limit, leaving a torn tail.
      const record = { type: "job", jobId, spec: { payload: "x".repeat(101) }, submittedAt: 1, state: "pending", attempts: 0, order: jobId, history: [] };
      const durable = await appender.append(record);
      if (durable.ok) acknowledged.push(jobId); else refusal = durable;
    }
    const after = await appender.append({ type: "queue-paused", at: 2, queue: "default", paused: true });
    await appender.close();
    console.log(JSON.stringify({ acknowledged, refusal, after }));
  `;

  it.skipIf(prlimit === undefined)("answers journal-unavailable instead of acknowledging what it could not write, and recovery finds every acknowledged record", async () => {
    const filler = startJournalProgram(program, dir, [prlimit as string, "--fsize=8192"]);
    const { code } = await filler.exited;
    expect(code, filler.stderr()).toBe(0);
    const outcome = JSON.parse(filler.stdout()) as { acknowledged: number[]; refusal: Durable; after: Durable };
    expect(outcome.acknowledged.length).toBeGreaterThan(10);
    expect(outcome.refusal).toEqual({ ok: false, code: "journal-unavailable", message: expect.stringMatching(/disk is full|EFBIG/) });
    expect(outcome.after).toEqual(outcome.refusal);
    const lines = filler.stderr().split("\n").filter(Boolean).map((line) => JSON.parse(line) as { event: string });
    expect(lines.filter((line) => line.event === "journal.unavailable")).toHaveLength(1);
    const { records, log } = await replay(dir);
    expect(records.map((r) => (r.type === "job" ? r.jobId : 0))).toEqual(outcome.acknowledged);
    // The part of a record the limit cut short was cut off when the appender closed.
    expect(log.lines).toEqual([]);
  });
});

describe("a journal appender SIGKILLed mid-stream", () => {
  const built = builtJournalModule("journal-appender.js");

  // Sixteen writers append without pause; each prints its job id once its record is durable,
  // as a queue would send the submitted reply. Writes to a pipe are synchronous on Linux, so
  // every id printed before the kill reaches the parent.
  const program = `
    import { JournalAppender } from ${JSON.stringify(built)};
    import { createLogger } from "@djq/runtime";
    const log = createLogger({ program: "writer", format: "json" });
    const appender = await JournalAppender.open({ dir: process.argv[1], fileNumber: 1, nextSeq: 1, fsync: "always",
      fsyncIntervalMs: 50, maxRecordBytes: 1 << 20, segmentBytes: 64 * 1024, log });
    let next = 1;
    const writer = async () => {
      for (;;) {
        const jobId = next++;
        const durable = await appender.append({ type: "job", jobId, spec: { payload: "x".repeat(jobId % 300) }, submittedAt: 1, state: "pending", attempts: 0, order: jobId, history: [] });
        if (!durable.ok) throw new Error(durable.message);
        process.stdout.write(jobId + "\\n");
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
  `;

  it("loses no record whose append was acknowledged before the kill", async () => {
    const writer = startJournalProgram(program, dir);
    await new Promise<void>((resolve, reject) => {
      // Enough acknowledgements that several segments exist and the kill lands mid-stream.
      writer.child.stdout.on("data", () => writer.stdout().length > 20_000 && resolve());
      void writer.exited.then(() => reject(new Error(`the writer exited before the kill: ${writer.stderr()}`)));
    });
    writer.child.kill("SIGKILL");
    expect((await writer.exited).signal).toBe("SIGKILL");
    const acknowledged = writer.stdout().split("\n").filter((line) => /^\d+$/.test(line)).map(Number);
    const { records } = await replay(dir);
    const recorded = new Set(records.flatMap((r) => (r.type === "job" ? [r.jobId] : [])));
    expect(acknowledged.length).toBeGreaterThan(3_000);
    expect(acknowledged.filter((jobId) => !recorded.has(jobId))).toEqual([]);
    expect((await readdir(dir)).length).toBeGreaterThan(2);
  });
});

