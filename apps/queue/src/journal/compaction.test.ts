// Compaction over real files: afterwards the journal holds exactly the live jobs and keys plus
// what was appended since the cut, its size follows the live state, and a compaction cut short
// at any step leaves a journal that replays to the same records.
import { copyFile, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobSnapshot, JournalRecord, KeySnapshot } from "@djq/protocol";
import { Compactor, type LiveState } from "./compaction.js";
import { JournalAppender } from "./journal-appender.js";
import { journalFileName, temporaryName } from "./journal-files.js";
import { appenderOptions, at, completed, keptLog, replay, running, submitted, temporaryDirectory } from "./test-support/journal-fixtures.js";

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await temporaryDirectory()));
afterEach(() => remove());

function liveJob(jobId: number): JobSnapshot {
  return { type: "job", jobId, spec: { payload: { n: jobId } }, submittedAt: at + jobId, state: "pending", attempts: 0, order: jobId, history: [] };
}

function liveState(jobs: JobSnapshot[], keys: KeySnapshot[] = []): LiveState {
  return {
    header: { at, queueId: "q-1", run: 1, lastJobId: 1_000, lastLease: 7, lastOrder: 1_000, pausedQueues: [] },
    records: [...jobs, ...keys],
  };
}

async function journalBytes(): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

async function openWithHistory(count: number): Promise<{ appender: JournalAppender; compactor: Compactor }> {
  const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
  for (let jobId = 1; jobId <= count; jobId += 1) {
    void appender.append(submitted(jobId));
    void appender.append(running(jobId));
    await appender.append(completed(jobId, "done"));
  }
  const compactor = new Compactor(appender, { dir, maxRecordBytes: 1 << 20, minSegmentBytes: 10_000, log: keptLog() }, 0, 0);
  return { appender, compactor };
}

describe("compaction", () => {
  it("leaves exactly the live jobs and keys, then what was appended after the cut, and deletes the history", async () => {
    const { appender, compactor } = await openWithHistory(300);
    const live = [liveJob(298), liveJob(299), liveJob(300)];
    const key: KeySnapshot = { type: "key", key: "k-300", jobIds: [300], at };
    const compacted = compactor.compact(() => liveState(live, [key]));
    // Appended after the cut, while the snapshot is written: it belongs to the tail.
    const late = appender.append(submitted(301));
    expect(await compacted).toEqual({ ok: true, snapshotBytes: expect.any(Number) });
    expect(await late).toEqual({ ok: true });
    await appender.close();

    expect((await readdir(dir)).sort()).toEqual([journalFileName("segment", 2), journalFileName("snapshot", 2)]);
    const { records, replayed } = await replay(dir);
    const expected: JournalRecord[] = [
      { type: "snapshot", ...liveState([]).header, nextSeq: 901 },
      ...live,
      key,
      { type: "snapshot-end", jobs: 3, keys: 1 },
      submitted(301),
    ];
    expect(records).toEqual(expected);
    expect(replayed.nextSeq).toBe(902);
  });

  it("makes the journal's size follow the live jobs, not the history", async () => {
    const { appender, compactor } = await openWithHistory(300);
    const before = await journalBytes();
    expect(compactor.due).toBe(true);
    await compactor.compact(() => liveState([liveJob(300)]));
    await appender.close();
    const after = await journalBytes();
    expect(after).toBeLessThan(before / 50);
    expect(compactor.due).toBe(false);
  });

  it("is due only once the tail outgrows both the floor and the snapshot", async () => {
    const appender = await JournalAppender.open(appenderOptions(dir, keptLog()));
    const compactor = new Compactor(appender, { dir, maxRecordBytes: 1 << 20, minSegmentBytes: 2_000, log: keptLog() }, 5_000, 0);
    for (let jobId = 1; compactor.tailBytes <= 5_000; jobId += 1) {
      expect(compactor.due).toBe(false);
      await appender.append(submitted(jobId));
    }
    expect(compactor.due).toBe(true);
    await appender.close();
  });

  it("replays to the same records if it was cut short before the rename or before the deletes", async () => {
    const { appender, compactor } = await openWithHistory(20);
    await appender.close();
    const history = (await replay(dir)).records;
    // Before the rename: a half-written snapshot under its temporary name is ignored and removed.
    const temporary = join(dir, temporaryName(journalFileName("snapshot", 2)));
    await writeFile(temporary, Buffer.from("half a snapshot"));
    expect((await replay(dir)).records).toEqual(history);
    expect(await readdir(dir)).toEqual([journalFileName("segment", 1)]);

    // After the rename, before the deletes: the new snapshot wins and the old segment goes.
    const reopened = await JournalAppender.open(appenderOptions(dir, keptLog(), { fileNumber: 2, nextSeq: 61 }));
    const second = new Compactor(reopened, { dir, maxRecordBytes: 1 << 20, minSegmentBytes: 0, log: keptLog() }, 0, 0);
    const oldSegment = await readFile(join(dir, journalFileName("segment", 1)));
    await second.compact(() => liveState([liveJob(20)]));
    await reopened.close();
    const compactedRecords = (await replay(dir)).records;
    await writeFile(join(dir, journalFileName("segment", 1)), oldSegment);
    expect((await replay(dir)).records).toEqual(compactedRecords);
    expect(await readdir(dir)).not.toContain(journalFileName("segment", 1));
  });

  it("stops at a snapshot that lost its end", async () => {
    const { appender, compactor } = await openWithHistory(5);
    await compactor.compact(() => liveState([liveJob(4), liveJob(5)]));
    await appender.close();
    const snapshot = join(dir, journalFileName("snapshot", 2));
    const whole = await readFile(snapshot);
    await copyFile(snapshot, `${snapshot}.whole`);
    const end = whole.lastIndexOf(Buffer.from('{"type":"snapshot-end"')) - 16;
    await writeFile(snapshot, whole.subarray(0, end));
    await expect(replay(dir)).rejects.toThrow(`${snapshot} at byte ${end}: the snapshot has no end record`);
  });

  it("stops at a damaged snapshot, and with start-anyway keeps its records before the damage and asks for a new snapshot", async () => {
    const { appender, compactor } = await openWithHistory(5);
    await compactor.compact(() => liveState([liveJob(3), liveJob(4), liveJob(5)]));
    await appender.append(submitted(6));
    await appender.close();
    const snapshot = join(dir, journalFileName("snapshot", 2));
    const whole = await readFile(snapshot);
    const fourth = whole.indexOf(Buffer.from('{"type":"job","jobId":4')) - 16;
    whole[fourth + 30] = (whole[fourth + 30] as number) ^ 0x01;
    await writeFile(snapshot, whole);
    await expect(replay(dir)).rejects.toThrow(`${snapshot} at byte ${fourth}: the record's checksum does not match`);
    const { records, replayed } = await replay(dir, { startAnyway: true });
    expect(records).toEqual([{ type: "snapshot", ...liveState([]).header, nextSeq: 16 }, liveJob(3)]);
    expect(replayed.mustCompact).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([`${journalFileName("segment", 2)}.broken`, `${journalFileName("snapshot", 2)}.broken`]);
  });
});
