// Keeps the journal's size following the live jobs, not the history: when the segments since
// the newest snapshot outgrow it, cut the log (new records go to a new segment N), write the
// live state as snapshot N beside it, publish it by rename, then delete everything before N.
// A crash at any step leaves either the old snapshot and its whole tail, or the new one and
// its tail; recovery deletes the leftovers of the other.
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, type JobSnapshot, type KeySnapshot, type SnapshotStarted } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { Durable, JournalAppender } from "./journal-appender.js";
import { journalFileName, readLayout, syncDirectory, temporaryName } from "./journal-files.js";
import { jobsIn, withPendingRuns } from "./pending-runs.js";
import { encodeFileHeader, encodeRecord } from "./record-frame.js";

/** What the queue hands compaction, read at the instant of the cut: its counters and identity,
 * and its live jobs and keys, which may be read lazily while the snapshot is written. */
export interface LiveState {
  header: Omit<SnapshotStarted, "type" | "nextSeq">;
  records: Iterable<JobSnapshot | KeySnapshot>;
}

export interface CompactorOptions {
  dir: string;
  maxRecordBytes: number;
  /** Below this many bytes of segments no compaction runs, however small the live state. */
  minSegmentBytes: number;
  log: Logger;
}

export type Compacted = Durable & { snapshotBytes?: number };

const CHUNK_BYTES = 1 << 20;

export class Compactor {
  private running = false;
  /** Bytes appended when the newest snapshot was cut: what came since is its tail. */
  private cutAtAppendedBytes: number;

  /**
   * @param snapshotBytes the newest snapshot's size when the journal was opened (0 if none)
   * @param tailBytes the bytes of the segments after it that recovery replayed; everything the
   *   appender has appended since it opened is tail as well
   */
  constructor(
    private readonly appender: JournalAppender,
    private readonly options: CompactorOptions,
    private snapshotBytes: number,
    tailBytes: number,
  ) {
    this.cutAtAppendedBytes = -tailBytes;
  }

  /** Bytes in the segments since the newest snapshot. */
  get tailBytes(): number {
    return this.appender.stats.appendedBytes - this.cutAtAppendedBytes;
  }

  /** The tail has outgrown the live state it would be folded into: the journal holds at most
   * about twice the live state plus `minSegmentBytes`. */
  get due(): boolean {
    return !this.running && this.tailBytes > Math.max(this.options.minSegmentBytes, this.snapshotBytes);
  }

  /** `capture` is called in the same turn as the cut, so its counters match the sequence
   * number the tail starts at. */
  async compact(capture: () => LiveState): Promise<Compacted> {
    if (this.running) return { ok: false, code: ErrorCode.journalUnavailable, message: "a compaction is already running" };
    this.running = true;
    const { dir, log } = this.options;
    const cut = this.appender.rotate();
    const live = capture();
    const name = journalFileName("snapshot", cut.fileNumber);
    const temporary = join(dir, temporaryName(name));
    try {
      const created = await cut.created;
      if (!created.ok) return created;
      const { bytes: snapshotBytes, jobs, keys } = await this.writeSnapshot(temporary, { type: "snapshot", ...live.header, nextSeq: cut.firstSeq }, live.records);
      await rename(temporary, join(dir, name));
      await syncDirectory(dir);
      const layout = await readLayout(dir);
      for (const path of layout.obsolete) await unlink(path);
      await syncDirectory(dir);
      this.snapshotBytes = snapshotBytes;
      this.cutAtAppendedBytes = cut.appendedBytes;
      log.info("journal.compacted", { snapshot: name, bytes: snapshotBytes, jobs, keys, deleted: layout.obsolete.length });
      return { ok: true, snapshotBytes };
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      log.error("journal.compaction-failed", { snapshot: name, reason: message });
      return { ok: false, code: ErrorCode.journalUnavailable, message: `compaction failed: ${message}` };
    } finally {
      this.running = false;
    }
  }

  /** Writes in chunks of about a megabyte, yielding to the event loop between them. */
  private async writeSnapshot(path: string, header: SnapshotStarted, records: Iterable<JobSnapshot | KeySnapshot>): Promise<{ bytes: number; jobs: number; keys: number }> {
    const handle = await open(path, "w");
    try {
      let position = 0;
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const write = async () => {
        const { bytesWritten } = await handle.writev(chunk, position);
        if (bytesWritten !== chunkBytes) throw new Error(`wrote ${bytesWritten} of ${chunkBytes} bytes (the disk is full or a size limit was reached)`);
        position += bytesWritten;
        chunk = [];
        chunkBytes = 0;
      };
      const add = async (frame: Buffer) => {
        if (frame.length > this.options.maxRecordBytes) throw new Error(`a snapshot record of ${frame.length} bytes is larger than the journal's ${this.options.maxRecordBytes}`);
        chunk.push(frame);
        chunkBytes += frame.length;
        if (chunkBytes >= CHUNK_BYTES) await write();
      };
      let seq = 0;
      let jobs = 0;
      let keys = 0;
      await add(encodeFileHeader("snapshot", 0));
      await add(encodeRecord(seq++, header));
      for (const record of withPendingRuns(records)) {
        if (record.type === "key") keys += 1;
        else jobs += jobsIn(record);
        await add(encodeRecord(seq++, record));
      }
      await add(encodeRecord(seq++, { type: "snapshot-end", jobs, keys }));
      await write();
      await handle.datasync();
      return { bytes: position, jobs, keys };
    } finally {
      await handle.close();
    }
  }
}
