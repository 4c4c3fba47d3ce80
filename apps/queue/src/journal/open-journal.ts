// Start-up with `--journal DIR`, in the order that keeps it safe: take the directory's lock,
// replay every record into the caller's state, start a new segment, and record this start
// durably before the queue serves anyone. The queue's identity is the one the journal was
// created with; each start adds one to the run count.
import { mkdir } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import type { JournalRecord } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import { Compactor } from "./compaction.js";
import { lockDirectory } from "./directory-lock.js";
import { JournalAppender, type FsyncMode } from "./journal-appender.js";
import { replayJournal, type ApplyRecord, type Replayed } from "./journal-reader.js";

export interface JournalOptions {
  dir: string;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  maxRecordBytes: number;
  segmentBytes: number;
  /** Compaction waits until the segments since the last snapshot hold at least this much. */
  minCompactBytes: number;
  startAnyway: boolean;
  log: Logger;
}

export const defaultJournalOptions: Omit<JournalOptions, "dir" | "log"> = {
  fsync: "always",
  fsyncIntervalMs: 50,
  maxRecordBytes: 64 * 1024 * 1024,
  segmentBytes: 64 * 1024 * 1024,
  minCompactBytes: 64 * 1024 * 1024,
  startAnyway: false,
};

export interface OpenJournal {
  appender: JournalAppender;
  compactor: Compactor;
  replayed: Replayed;
  queueId: string;
  /** This start's number: 1 for the journal's first. */
  run: number;
  close(): Promise<void>;
}

export async function openJournal(options: JournalOptions, apply: ApplyRecord): Promise<OpenJournal> {
  await mkdir(options.dir, { recursive: true });
  const lock = await lockDirectory(options.dir);
  try {
    let queueId: string | undefined;
    let lastRun = 0;
    const replayed = await replayJournal(options.dir, options, (record) => {
      if (record.type === "journal-created") queueId = record.queueId;
      else if (record.type === "queue-started" || record.type === "snapshot") {
        queueId = record.queueId;
        lastRun = record.run;
      }
      return apply(record);
    });
    const appender = await JournalAppender.open({ ...options, fileNumber: replayed.nextFileNumber, nextSeq: replayed.nextSeq });
    const at = Date.now();
    const fresh = queueId === undefined;
    queueId ??= randomUUID();
    const run = lastRun + 1;
    if (fresh) void appender.append({ type: "journal-created", at, queueId });
    void appender.append({ type: "queue-started", at, queueId, run });
    // Synced even with fsync `interval`: the run number fences what this run hands out from
    // what an earlier run did, so it must not be lost to a power cut.
    const started = await appender.sync();
    if (!started.ok) throw new Error(started.message);
    const compactor = new Compactor(appender, { ...options, minSegmentBytes: options.minCompactBytes }, replayed.snapshotBytes, replayed.segmentBytes);
    options.log.info("journal.opened", { dir: options.dir, queueId, run, records: replayed.records, fsync: options.fsync, fresh });
    return {
      appender,
      compactor,
      replayed,
      queueId,
      run,
      close: async () => {
        await appender.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
