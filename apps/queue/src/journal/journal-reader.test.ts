// Recovery over real files: the last record cut at every byte is dropped with one log line and
// the journal goes on cleanly after it; damage anywhere else stops start-up naming the file and
// offset, or, when the operator says so, keeps what came before it.
import { readFile, readdir, stat, writeFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JournalRecord } from "@djq/protocol";
import { JournalAppender } from "./journal-appender.js";
import { journalFileName } from "./journal-files.js";
import { QueueCore } from "@djq/core";
import { JournalDamagedError, replayJournal } from "./journal-reader.js";
import { encodeRecord, FILE_HEADER_BYTES } from "./record-frame.js";
import { appenderOptions, keptLog, replay, submitted, temporaryDirectory, writeJournal } from "./test-support/journal-fixtures.js";

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await temporaryDirectory()));
afterEach(() => remove());

const segment = (n: number) => join(dir, journalFileName("segment", n));
const [r1, r2, r3, r4] = [submitted(1), submitted(2), submitted(3), submitted(4)] as [JournalRecord, JournalRecord, JournalRecord, JournalRecord];

async function appendAfterRecovery(record: JournalRecord): Promise<void> {
  const { replayed } = await replay(dir);
  const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { fileNumber: replayed.nextFileNumber, nextSeq: replayed.nextSeq }));
  expect(await appender.append(record)).toEqual({ ok: true });
  await appender.close();
}

/** Flips one bit of the byte at `offset`. */
async function damage(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = (bytes[offset] as number) ^ 0x10;
  await writeFile(path, bytes);
}

describe("replaying a journal", () => {
  it("gives back every record in the order it was appended, across segments", async () => {
    const records = Array.from({ length: 50 }, (_, i) => submitted(i + 1));
    await writeJournal(dir, [records.slice(0, 20), records.slice(20, 21), records.slice(21)], { segmentBytes: 600 });
    expect((await readdir(dir)).length).toBeGreaterThan(3);
    const { records: replayed, replayed: result } = await replay(dir);
    expect(replayed).toEqual(records);
    expect(result.nextSeq).toBe(51);
  });

  it("drops the last record cut short at every byte offset with one log line, truncates it for good, and appends cleanly after it", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const lastStart = whole.length - encodeRecord(3, r3).length;
    // From one byte of the last record written to all but its last byte.
    for (let cut = lastStart + 1; cut < whole.length; cut += 1) {
      await writeFile(segment(1), whole.subarray(0, cut));
      const { records, log } = await replay(dir);
      expect(records, `cut at ${cut}`).toEqual([r1, r2]);
      expect(log.events("journal.torn-tail"), `cut at ${cut}`).toEqual([expect.objectContaining({ file: segment(1), offset: lastStart })]);
      expect((await stat(segment(1))).size).toBe(lastStart);
      await appendAfterRecovery(r4);
      const again = await replay(dir);
      expect(again.records, `cut at ${cut}`).toEqual([r1, r2, r4]);
      expect(again.log.lines).toEqual([]);
      await unlink(segment(2));
    }
  });

  it("takes a last record overwritten with garbage to its end as torn", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const lastStart = whole.length - encodeRecord(3, r3).length;
    for (const from of [lastStart + 8, lastStart + 16, whole.length - 1]) {
      await writeFile(segment(1), Buffer.from(whole).fill(0x5a, from));
      const { records, log } = await replay(dir);
      expect(records).toEqual([r1, r2]);
      expect(log.events("journal.torn-tail"), `garbage from ${from}`).toHaveLength(1);
      await writeFile(segment(1), whole);
    }
  });

  it("ends a segment where zeros run to its end, as zeros written ahead of records that never came, and cuts them", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const thirdStart = whole.length - encodeRecord(3, r3).length;
    // Fewer zeros than a record's header takes, too.
    for (const zeros of [4096, 5]) {
      for (const [bytes, kept] of [[whole, [r1, r2, r3]], [whole.subarray(0, thirdStart), [r1, r2]]] as const) {
        await writeFile(segment(1), Buffer.concat([bytes, Buffer.alloc(zeros)]));
        const { records, log } = await replay(dir);
        expect(records).toEqual(kept);
        expect(log.lines).toEqual([{ level: "info", event: "journal.zeros-cut", fields: { file: segment(1), offset: bytes.length, bytes: zeros } }]);
        expect((await stat(segment(1))).size).toBe(bytes.length);
      }
    }
  });

  it("stops at zeros in a segment that something other than zeros follows", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const secondStart = FILE_HEADER_BYTES + encodeRecord(1, r1).length;
    whole.fill(0, secondStart, secondStart + encodeRecord(2, r2).length);
    await writeFile(segment(1), whole);
    const refusal = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(refusal).toBeInstanceOf(JournalDamagedError);
    expect(refusal.damage).toEqual(expect.objectContaining({ path: segment(1), offset: secondStart }));
  });

  it("takes garbage over the whole last record, its length included, as torn", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const lastStart = whole.length - encodeRecord(3, r3).length;
    await writeFile(segment(1), Buffer.from(whole).fill(0x5a, lastStart));
    const { records, log } = await replay(dir);
    expect(records).toEqual([r1, r2]);
    expect(log.events("journal.torn-tail")).toEqual([expect.objectContaining({ offset: lastStart, reason: expect.stringContaining("claims") })]);
  });

  it("stops at a length damaged to reach past the end of the file when whole records follow it", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const whole = await readFile(segment(1));
    const secondStart = FILE_HEADER_BYTES + encodeRecord(1, r1).length;
    whole.writeUInt32LE(whole.length, secondStart);
    await writeFile(segment(1), whole);
    const refusal = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(refusal).toBeInstanceOf(JournalDamagedError);
    expect(refusal.damage).toEqual(expect.objectContaining({ path: segment(1), offset: secondStart }));
  });

  it("stops at a whole record the core refuses, a lease for a job the journal does not hold, naming file and offset", async () => {
    const job: JournalRecord = { type: "job", jobId: 1, spec: {}, submittedAt: 0, state: "pending", attempts: 0, order: 1, history: [] };
    const stray: JournalRecord = { type: "jobs-started", workers: ["w1"], jobs: [2, 1, 1, 0, 1, 0, 1_000] };
    await writeJournal(dir, [[job], [stray], [job]]);
    const core = new QueueCore({ recordChanges: true });
    const refusal = (await replayJournal(dir, { maxRecordBytes: 1 << 20, startAnyway: false, log: keptLog() }, (record) => core.restore(record)).catch((error: unknown) => error)) as JournalDamagedError;
    expect(refusal).toBeInstanceOf(JournalDamagedError);
    expect(refusal.damage).toEqual({ path: segment(1), offset: FILE_HEADER_BYTES + encodeRecord(0, job).length, reason: "a jobs-started record names job 2, which the journal does not hold" });
  });

  it("removes a newest segment cut inside its own header, which holds nothing", async () => {
    await writeJournal(dir, [[r1]]);
    await writeJournal(dir, [[r2]], { fileNumber: 2, nextSeq: 2 });
    const header = await readFile(segment(2));
    await writeFile(segment(2), header.subarray(0, FILE_HEADER_BYTES - 3));
    const { records, log } = await replay(dir);
    expect(records).toEqual([r1]);
    expect(log.events("journal.torn-tail")).toHaveLength(1);
    expect(await readdir(dir)).toEqual([journalFileName("segment", 1)]);
  });

  it("stops with the file and offset of a damaged record that has records after it", async () => {
    await writeJournal(dir, [[r1], [r2], [r3]]);
    const secondStart = FILE_HEADER_BYTES + encodeRecord(1, r1).length;
    await damage(segment(1), secondStart + 20);
    const refusal = await replay(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(JournalDamagedError);
    expect((refusal as JournalDamagedError).damage).toEqual({ path: segment(1), offset: secondStart, reason: "the record's checksum does not match" });
    expect((refusal as Error).message).toContain(`${segment(1)} at byte ${secondStart}`);
  });

  it("stops at a segment cut short that is not the newest: only the last write can tear", async () => {
    await writeJournal(dir, [[r1], [r2]]);
    await writeJournal(dir, [[r3]], { fileNumber: 2, nextSeq: 3 });
    const first = await readFile(segment(1));
    await writeFile(segment(1), first.subarray(0, first.length - 5));
    const refusal = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(refusal.damage.path).toBe(segment(1));
    expect(refusal.damage.offset).toBe(FILE_HEADER_BYTES + encodeRecord(1, r1).length);
  });

  it("stops when a segment in the middle is missing or a record repeats", async () => {
    await writeJournal(dir, [[r1]]);
    await writeJournal(dir, [[r2]], { fileNumber: 2, nextSeq: 2 });
    await writeJournal(dir, [[r3]], { fileNumber: 3, nextSeq: 3 });
    await unlink(segment(2));
    const missing = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(missing.damage).toEqual({ path: segment(3), offset: 0, reason: "the file starts at record 3 where record 2 belongs: a file before it is missing" });

    await writeJournal(dir, [[r2]], { fileNumber: 2, nextSeq: 2 });
    const third = await readFile(segment(3));
    await writeFile(segment(3), Buffer.concat([third, third.subarray(FILE_HEADER_BYTES)]));
    const repeated = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(repeated.damage).toEqual({ path: segment(3), offset: third.length, reason: "record 3 where record 4 belongs" });
  });

  it("with start-anyway keeps the records before the damage, sets the rest aside, and the next start is clean", async () => {
    await writeJournal(dir, [[r1], [r2]]);
    await writeJournal(dir, [[r3]], { fileNumber: 2, nextSeq: 3 });
    const secondStart = FILE_HEADER_BYTES + encodeRecord(1, r1).length;
    await damage(segment(1), secondStart + 20);
    const { records, replayed, log } = await replay(dir, { startAnyway: true });
    expect(records).toEqual([r1]);
    expect(replayed.damage).toEqual(expect.objectContaining({ path: segment(1), offset: secondStart }));
    expect(log.events("journal.damaged-start-anyway")).toEqual([expect.objectContaining({ setAside: [`${segment(1)}.broken`, `${segment(2)}.broken`] })]);
    expect((await readdir(dir)).sort()).toEqual([`${journalFileName("segment", 1)}`, `${journalFileName("segment", 1)}.broken`, `${journalFileName("segment", 2)}.broken`]);
    await appendAfterRecovery(r4);
    const again = await replay(dir);
    expect(again.records).toEqual([r1, r4]);
    expect(again.log.lines).toEqual([]);
  });

  it("refuses a snapshot's record inside a segment", async () => {
    await writeJournal(dir, [[r1, { type: "snapshot-end", jobs: 0, keys: 0 }]]);
    await writeJournal(dir, [[r2]], { fileNumber: 2, nextSeq: 3 });
    const refusal = (await replay(dir).catch((error: unknown) => error)) as JournalDamagedError;
    expect(refusal.damage.reason).toBe("a snapshot's snapshot-end record inside a segment");
  });
});
