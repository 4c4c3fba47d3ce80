// Appends records to the journal's newest segment with group commit: every record appended in
// one turn of the event loop goes out in one write, which with fsync `always` is also the sync
// (the segment is opened with O_DSYNC, so the write returns once its bytes are on disk: one trip
// to the thread pool, not a write and then an fdatasync), and the promise append returned
// resolves only then, so a reply waits for its record, not for a sync of its own. A turn's batch
// is sealed as soon as the turn ends; while one write is in flight, every turn that ends
// meanwhile joins the next write (pipelined group commit), which grows with the load. Right
// after a write that answered a client (a submit, say), a batch no client waits on (a worker's
// completion, the clock's requeues) waits up to PATIENCE_MS for the client's next request and
// shares its write: under one awaited submit at a time, the completion of the last job would
// otherwise take a sync (with `always`) the next submit has to wait out before its own, or a
// write of its own (with `interval`) and a write of its replies. Without a client's request in
// the last write nothing waits, so workers alone never wait on a timer. A failed write or sync
// is never retried (Linux may have dropped the pages it could not write): the journal turns
// unavailable and says so, every append from then on resolves with `journal-unavailable`, and
// nothing is thrown. With `always`, a segment is preallocated: zeros are written (and synced)
// ahead of the records, PREALLOCATE_BYTES at a time, so a record's synced write overwrites
// blocks the file already has and changes no file size, and the file system has no metadata to
// commit with it (measured alone: 82 µs for 200 bytes against 110-127 appending). The reader
// takes zeros to the end of a file as its end; a segment is cut to its records when closed.
import { constants, writeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Mutex } from "async-mutex";
import { ErrorCode, type JournalRecord } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import { journalFileName, syncDirectory } from "./journal-files.js";
import { encodeFileHeader, encodePayload, frameBytes, writeFrames, FILE_HEADER_BYTES, type EncodedRecord } from "./record-frame.js";

/**
 * `always`: a batch's promise resolves after its synchronous write; nothing acknowledged is
 * lost to a process crash or a power loss. `interval`: it resolves after the write, and a sync
 * follows within `fsyncIntervalMs`; a crash of the queue process alone loses nothing (the
 * kernel holds the written pages), a power loss or kernel crash loses what was acknowledged in
 * the last `fsyncIntervalMs` plus one sync's duration.
 */
export const fsyncModes = ["always", "interval"] as const;
export type FsyncMode = (typeof fsyncModes)[number];

export type Durable = { ok: true } | { ok: false; code: typeof ErrorCode.journalUnavailable; message: string };

const DURABLE: Durable = Object.freeze({ ok: true });

/** The longest a batch no client waits on holds back its write for a client's request. Node's
 * timers count in whole milliseconds, so this is also the least it can be without spinning. */
export const PATIENCE_MS = 1;

/** Zeros written ahead of the records at a time, with fsync `always`. One such write took 1.7-2.9
 * ms here, once per 5,000 one-job records or so; 4 MiB took 13 ms, a delay a waiting client would
 * feel. */
export const PREALLOCATE_BYTES = 1024 * 1024;

export interface AppenderOptions {
  dir: string;
  /** The number of the segment to create for the first batch. */
  fileNumber: number;
  /** The sequence number of the first record appended. */
  nextSeq: number;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  /** A record's encoded size at most; larger means the queue let through what it should have refused. */
  maxRecordBytes: number;
  /** A segment past this many bytes is closed and the next batch starts a new one. */
  segmentBytes: number;
  log: Logger;
}

export interface AppenderStats {
  /** Records and bytes appended, including those not yet written. */
  appendedRecords: number;
  appendedBytes: number;
  /** Writes handed to the disk, finished or not. */
  writesStarted: number;
  /** Records and bytes written, in how many writes, with how many syncs (file and directory; a
   * synchronous write counts as one). */
  records: number;
  batches: number;
  bytes: number;
  syncs: number;
}

interface Batch {
  records: EncodedRecord[];
  /** The sequence number of its first record; the rest follow it without gaps. */
  firstSeq: number;
  /** Framed bytes. */
  bytes: number;
  /** Set when this batch is the first of a new segment. */
  startsSegment: { fileNumber: number; firstSeq: number } | undefined;
  /** A client waits on a record in it: its write starts as soon as none is in flight. */
  awaited: boolean;
  done: Promise<Durable>;
  settle: (durable: Durable) => void;
}

export class JournalAppender {
  readonly stats: AppenderStats = { appendedRecords: 0, appendedBytes: 0, writesStarted: 0, records: 0, batches: 0, bytes: 0, syncs: 0 };
  private readonly mutex = new Mutex();
  private nextSeq: number;
  private nextFileNumber: number;
  private open: Batch | undefined;
  private readonly queued: Batch[] = [];
  /** The batch sealed last; batches settle in order, so when it settles all have. */
  private lastSealed: Batch | undefined;
  private flushing = false;
  private patience: NodeJS.Timeout | undefined;
  /** The last write answered a client, so its next request may well come before long. */
  private clientLikely = false;
  private handle: FileHandle | undefined;
  private position = 0;
  /** The segment's size on disk: its records, then, while preallocated, zeros up to here. */
  private allocatedEnd = 0;
  /** Bytes appended to the current segment, written or not: when to start the next one. */
  private segmentBytesAppended = 0;
  private unsyncedWrites = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private failure: Durable | undefined;
  private writtenRecordBytes = 0;
  /** Every record numbered below this is written (and, with `always`, synced). */
  private durableSeq: number;
  /** Between beginTurn and endTurn: the batch is sealed by endTurn. */
  private inTurn = false;

  /** Creates the first segment; throws if it cannot, since a queue that cannot start its
   * journal must not start at all. */
  static async open(options: AppenderOptions): Promise<JournalAppender> {
    const appender = new JournalAppender(options);
    const created = await appender.rotate().created;
    if (!created.ok) {
      await appender.close();
      throw new Error(created.message);
    }
    return appender;
  }

  private constructor(private readonly options: AppenderOptions) {
    this.nextSeq = options.nextSeq;
    this.durableSeq = options.nextSeq;
    this.nextFileNumber = options.fileNumber;
  }

  /** Why the journal takes no more records, or undefined while it works. */
  get unavailable(): string | undefined {
    return this.failure?.ok === false ? this.failure.message : undefined;
  }

  /** Bytes appended and not yet written: what a stalled disk makes the queue hold. The queue
   * stops reading requests past its limit of these (checked before the core runs), since a
   * record cannot be refused once the core has made the change it describes. */
  get unwrittenBytes(): number {
    return this.stats.appendedBytes - this.writtenRecordBytes;
  }

  /** The sequence number the next record will carry. */
  get seq(): number {
    return this.nextSeq;
  }

  /** Whether every record numbered below `seq` is written, and synced if the mode says so. */
  isDurableBelow(seq: number): boolean {
    return seq <= this.durableSeq;
  }

  /** A turn begins: its records are sealed into a batch when it ends (endTurn), not at the first
   * tick, which would leave out the requests of connections handled after the first record. */
  beginTurn(): void {
    this.inTurn = true;
  }

  /** The turn is over: its batch is sealed, and its write started, now. With `interval` the write
   * is made now, so that the turn's replies all find their records written. With `always` the
   * write is handed to the disk before the ticks that flush the turn's assigns: the synced write
   * is the long wait a client's reply has ahead of it, and an assign leaves a few microseconds
   * later for it (measured under one awaited submit at a time: a request's arrival to its write
   * 56 µs instead of 92, while the write took 185-315 µs). */
  endTurn(): void {
    this.inTurn = false;
    this.sealOpenBatch();
  }

  /**
   * Queues the record for this turn's batch and returns the batch's promise: every record
   * appended in this turn shares it. The record's sequence number is fixed now, in call order.
   * `awaited`: whether a client waits on this record's reply to go on; if no record of a batch
   * is, its write may wait a moment for one that is (see PATIENCE_MS).
   */
  append(record: JournalRecord, awaited = true): Promise<Durable> {
    if (this.failure !== undefined) return Promise.resolve(this.failure);
    const encoded = encodePayload(record);
    const bytes = frameBytes(encoded);
    if (bytes > this.options.maxRecordBytes) {
      return Promise.resolve(this.fail(`a ${record.type} record of ${bytes} bytes is larger than the journal's ${this.options.maxRecordBytes}`));
    }
    if (this.segmentBytesAppended + bytes > this.options.segmentBytes && this.segmentBytesAppended > FILE_HEADER_BYTES) this.startSegment();
    const batch = this.openBatch();
    if (batch.records.length === 0) batch.firstSeq = this.nextSeq;
    this.nextSeq += 1;
    batch.records.push(encoded);
    if (awaited) batch.awaited = true;
    batch.bytes += bytes;
    this.segmentBytesAppended += bytes;
    this.stats.appendedRecords += 1;
    this.stats.appendedBytes += bytes;
    return batch.done;
  }

  /**
   * Ends the current segment: records appended from now on go to a new one, whose number and
   * first sequence number this returns, with the bytes appended before the cut. Compaction
   * writes its snapshot under that number. `created` resolves once the new segment exists on
   * disk and everything before the cut is written and synced.
   */
  rotate(): { fileNumber: number; firstSeq: number; appendedBytes: number; created: Promise<Durable> } {
    const start = this.startSegment();
    return { ...start, appendedBytes: this.stats.appendedBytes, created: this.openBatch().done };
  }

  /** Resolves once everything appended so far is written and synced, whatever the fsync mode:
   * for records that must not wait for the interval (a start's `queue-started`). */
  async sync(): Promise<Durable> {
    this.sealOpenBatch();
    this.hurry();
    await this.lastSealed?.done;
    if (this.failure !== undefined) return this.failure;
    return this.mutex.runExclusive(async () => {
      try {
        await this.syncNow();
        return DURABLE;
      } catch (error) {
        return this.fail(describe(error));
      }
    });
  }

  /** Writes and syncs what is queued, then closes the file. Appends after this fail. */
  async close(): Promise<void> {
    await this.sync();
    clearTimeout(this.syncTimer);
    this.stopWaiting();
    this.failure ??= { ok: false, code: ErrorCode.journalUnavailable, message: "the journal is closed" };
    await this.mutex.runExclusive(() => this.closeSegment());
  }

  private startSegment(): { fileNumber: number; firstSeq: number } {
    this.sealOpenBatch();
    const start = { fileNumber: this.nextFileNumber, firstSeq: this.nextSeq };
    this.nextFileNumber += 1;
    this.segmentBytesAppended = FILE_HEADER_BYTES;
    this.openBatch().startsSegment = start;
    return start;
  }

  private openBatch(): Batch {
    if (this.open !== undefined) return this.open;
    let settle!: (durable: Durable) => void;
    const done = new Promise<Durable>((resolve) => (settle = resolve));
    const batch: Batch = { records: [], firstSeq: this.nextSeq, bytes: 0, startsSegment: undefined, awaited: false, done, settle };
    this.open = batch;
    // Outside a turn (the clock's events, the dashboard's requests), the batch holds what this
    // callback appends: ticks run as soon as it returns, and its write starts at once rather
    // than a pass of the event loop later.
    if (!this.inTurn) process.nextTick(this.sealOpenBatch);
    return batch;
  }

  private readonly sealOpenBatch = (): void => {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    this.queued.push(batch);
    this.lastSealed = batch;
    if (!this.flushing) void this.flushQueued();
  };

  private async flushQueued(): Promise<void> {
    this.flushing = true;
    while (this.queued.length > 0) {
      if (this.waitsForClient()) {
        this.patience ??= setTimeout(this.hurry, PATIENCE_MS);
        break;
      }
      const group = this.takeGroup();
      this.clientLikely = group.some((batch) => batch.awaited);
      if (this.queued.length === 0) this.stopWaiting();
      const durable = this.writesInPlace(group) ? this.writeInPlace(group) : await this.exclusively(() => this.flush(group));
      if (durable.ok) {
        const last = group[group.length - 1] as Batch;
        this.durableSeq = last.firstSeq + last.records.length;
      }
      for (const batch of group) batch.settle(durable);
    }
    this.flushing = false;
  }

  /**
   * With `interval`, a write only hands bytes to the page cache: made on the event loop, in the
   * call that sealed the batch, so the turn's replies find their records written (durableSeq)
   * and leave without waiting for a promise. Not while a sync is in flight (a write to a page
   * under writeback waits for the disk, and would stall the loop for it: C's p99 went from 2-3 ms
   * to 9-80 ms), nor when the batch starts a new segment. Never with `always`: a synced write
   * made on the loop would be cheaper where nothing else would have run meanwhile (B forced so:
   * 0.30x of no journal against 0.26x through the pool), but a stalled disk would stall the loop
   * with it, liveness connections included, which the backlog bound is there to keep read.
   */
  private writesInPlace(group: readonly Batch[]): boolean {
    return this.options.fsync === "interval" && !this.mutex.isLocked() && this.handle !== undefined && (group[0] as Batch).startsSegment === undefined;
  }

  /** Runs `critical` holding the mutex. A free mutex is taken in this call (async-mutex hands it
   * over at once), and `critical` starts in this call too, rather than a microtask later, after
   * the ticks the turn queued. */
  private async exclusively<T>(critical: () => Promise<T>): Promise<T> {
    if (this.mutex.isLocked()) return this.mutex.runExclusive(critical);
    void this.mutex.acquire();
    try {
      return await critical();
    } finally {
      this.mutex.release();
    }
  }

  private waitsForClient(): boolean {
    return this.clientLikely && !this.queued.some((batch) => batch.awaited || batch.startsSegment !== undefined);
  }

  /** Every batch sealed so far may go now, company or not. */
  private readonly hurry = (): void => {
    this.stopWaiting();
    this.clientLikely = false;
    if (!this.flushing && this.queued.length > 0) void this.flushQueued();
  };

  private stopWaiting(): void {
    clearTimeout(this.patience);
    this.patience = undefined;
  }

  /** The batches sealed while the last write and sync were in flight, up to the next segment's
   * start: they go out in one write and one sync, so the syncs do not multiply with the turns. */
  private takeGroup(): Batch[] {
    const group = [this.queued.shift() as Batch];
    while (this.queued.length > 0 && (this.queued[0] as Batch).startsSegment === undefined) group.push(this.queued.shift() as Batch);
    return group;
  }

  private async flush(group: readonly Batch[]): Promise<Durable> {
    if (this.failure !== undefined) return this.failure;
    const first = group[0] as Batch;
    try {
      if (first.startsSegment !== undefined) await this.createSegment(first.startsSegment);
      const frames = framesOf(group);
      if (frames === undefined) return DURABLE;
      const written = this.wrote(group, frames, await this.write(frames));
      if (!written.ok) return written;
      if (this.writesSync) this.stats.syncs += 1;
      else {
        this.unsyncedWrites = true;
        if (this.options.fsync === "always") await this.syncNow();
        else this.syncSoon();
      }
      return DURABLE;
    } catch (error) {
      return this.fail(describe(error));
    }
  }

  private writeInPlace(group: readonly Batch[]): Durable {
    if (this.failure !== undefined) return this.failure;
    try {
      const frames = framesOf(group);
      if (frames === undefined) return DURABLE;
      const handle = this.handle as FileHandle;
      this.stats.writesStarted += 1;
      const written = this.wrote(group, frames, writeSync(handle.fd, frames, 0, frames.length, this.position));
      if (!written.ok) return written;
      this.unsyncedWrites = true;
      this.syncSoon();
      return DURABLE;
    } catch (error) {
      return this.fail(describe(error));
    }
  }

  /** Counts a write of `frames`; the journal fails if it was short. */
  private wrote(group: readonly Batch[], frames: Buffer, bytesWritten: number): Durable {
    // On a full disk libuv reports the bytes it managed and only the next write fails.
    if (bytesWritten !== frames.length) return this.fail(`wrote ${bytesWritten} of ${frames.length} bytes (the disk is full or a size limit was reached)`);
    this.position += bytesWritten;
    this.writtenRecordBytes += bytesWritten;
    this.stats.records += sum(group, (b) => b.records.length);
    this.stats.batches += 1;
    this.stats.bytes += bytesWritten;
    return DURABLE;
  }

  /**
   * With fsync `always`, one trip to the thread pool: the event loop goes on serving while the
   * disk works. With `interval`, the bytes only go to the page cache, which takes microseconds:
   * written in place, since waking a pool thread and being woken by it cost more than that
   * (measured in B: 2,300-2,500 jobs/s written in place against 1,650-1,750 through the pool).
   */
  private async write(frames: Buffer): Promise<number> {
    const handle = this.handle as FileHandle;
    this.stats.writesStarted += 1;
    if (this.options.fsync === "interval") return writeSync(handle.fd, frames, 0, frames.length, this.position);
    if (!this.preallocates || this.position + frames.length <= this.allocatedEnd) {
      return (await handle.write(frames, 0, frames.length, this.position)).bytesWritten;
    }
    // Past the zeros: the frames and the next zeros go in one write, which grows the file once.
    const grown = Buffer.alloc(frames.length + this.zerosAhead(this.position + frames.length));
    frames.copy(grown);
    const { bytesWritten } = await handle.write(grown, 0, grown.length, this.position);
    // Short of the zeros is no failure (a nearly full disk): the frames are what must be there.
    this.allocatedEnd = this.position + bytesWritten;
    return Math.min(bytesWritten, frames.length);
  }

  /** Synced writes overwrite zeros written ahead of them, where the system has O_DSYNC. */
  private get preallocates(): boolean {
    return this.writesSync;
  }

  /** How many zeros to write after `end`: never past the size that starts a new segment. */
  private zerosAhead(end: number): number {
    return Math.max(0, Math.min(PREALLOCATE_BYTES, this.options.segmentBytes - end));
  }

  /** With fsync `always`, where the system has O_DSYNC: each write returns once it is durable. */
  private get writesSync(): boolean {
    return this.options.fsync === "always" && constants.O_DSYNC !== undefined;
  }

  private async createSegment(start: { fileNumber: number; firstSeq: number }): Promise<void> {
    await this.syncNow();
    await this.closeSegment();
    const path = join(this.options.dir, journalFileName("segment", start.fileNumber));
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (this.writesSync ? constants.O_DSYNC : 0);
    this.handle = await open(path, flags, 0o666);
    const header = encodeFileHeader("segment", start.firstSeq);
    const opening = this.preallocates ? Buffer.concat([header, Buffer.alloc(this.zerosAhead(header.length))]) : header;
    const { bytesWritten } = await this.handle.write(opening, 0, opening.length, 0);
    if (bytesWritten < header.length) throw new Error(`wrote ${bytesWritten} of a segment header's ${header.length} bytes`);
    this.position = header.length;
    this.allocatedEnd = bytesWritten;
    if (!this.writesSync) await this.handle.datasync();
    await syncDirectory(this.options.dir);
    this.stats.syncs += 2;
    this.stats.bytes += header.length;
    this.options.log.debug("journal.segment-started", { file: path, firstSeq: start.firstSeq });
  }

  /** Cuts the zeros after the last record, so a segment closed in order ends with its records,
   * and closes it. If the cut fails the zeros stay: the reader takes them for the segment's end
   * all the same, so nothing is lost by it. */
  private async closeSegment(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return;
    this.handle = undefined;
    try {
      if (this.allocatedEnd > this.position) {
        await handle.truncate(this.position);
        await handle.datasync();
      }
    } catch (error) {
      this.options.log.warn("journal.zeros-kept", { reason: describe(error) });
    } finally {
      this.allocatedEnd = 0;
      await handle.close();
    }
  }

  private async syncNow(): Promise<void> {
    if (!this.unsyncedWrites || this.handle === undefined) return;
    this.unsyncedWrites = false;
    await this.handle.datasync();
    this.stats.syncs += 1;
  }

  /** Interval mode: one sync at most every `fsyncIntervalMs`, and only after writes. */
  private syncSoon(): void {
    if (this.syncTimer !== undefined) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.mutex.runExclusive(async () => {
        if (this.failure !== undefined) return;
        try {
          await this.syncNow();
        } catch (error) {
          this.fail(describe(error));
        }
      });
    }, this.options.fsyncIntervalMs);
  }

  private fail(message: string): Durable {
    if (this.failure === undefined) {
      this.failure = { ok: false, code: ErrorCode.journalUnavailable, message: `the journal cannot record changes: ${message}` };
      this.options.log.error("journal.unavailable", { reason: message });
      clearTimeout(this.syncTimer);
    }
    return this.failure;
  }
}

function describe(error: unknown): string {
  // Node's fs errors already open with their code ("ENOSPC: no space left on device, write").
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The group's records framed in one buffer, or undefined if it has none (a new segment's). */
function framesOf(group: readonly Batch[]): Buffer | undefined {
  const bytes = sum(group, (b) => b.bytes);
  if (bytes === 0) return undefined;
  const frames = Buffer.allocUnsafe(bytes);
  let end = 0;
  for (const batch of group) end = writeFrames(frames, end, batch.firstSeq, batch.records);
  return frames;
}

function sum(batches: readonly Batch[], of: (batch: Batch) => number): number {
  let total = 0;
  for (const batch of batches) total += of(batch);
  return total;
}
