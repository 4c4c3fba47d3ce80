// Rebuilds what the journal holds: the newest snapshot, then every segment after it, record by
// record in sequence order. A record cut short at the very end of the last segment (a crash
// mid-write: it was never acknowledged) is dropped with one log line and the file is truncated
// for good. Anything else that is not a whole, checked, in-order record stops start-up with the
// file and offset, unless the operator chose to start anyway from the last good record.
import { copyFile, open, rename, truncate, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { snapshotRecordTypes, type JournalRecord, type SnapshotStarted } from "@djq/protocol";
import { findRecordAfter, isZeroFrom, scanFile, type RecordVisitor, type ScanStop, type ScannedFile } from "./file-scanner.js";
import { nextFileNumber, readLayout, syncDirectory, type JournalFile } from "./journal-files.js";
import { jobsIn } from "./pending-runs.js";
import { FILE_HEADER_BYTES } from "./record-frame.js";
import type { Logger } from "@djq/runtime";

export interface JournalDamage {
  path: string;
  offset: number;
  reason: string;
}

/** Start-up refused: the journal is damaged before its end. */
export class JournalDamagedError extends Error {
  constructor(readonly damage: JournalDamage) {
    super(`the journal is damaged in ${damage.path} at byte ${damage.offset}: ${damage.reason}`);
    this.name = "JournalDamagedError";
  }
}

export interface ReplayOptions {
  maxRecordBytes: number;
  /** Keep the records before the first damage, set the rest aside as `.broken` files, and go on. */
  startAnyway: boolean;
  log: Logger;
}

export interface Replayed {
  /** The sequence number the next appended record takes. */
  nextSeq: number;
  /** The number the next new file takes. */
  nextFileNumber: number;
  records: number;
  snapshot: SnapshotStarted | undefined;
  /** Bytes in the snapshot replayed and in the segments after it. */
  snapshotBytes: number;
  segmentBytes: number;
  tornTail: JournalDamage | undefined;
  /** With `startAnyway`: where the damage was; nothing from there on was applied. */
  damage: JournalDamage | undefined;
  /** The snapshot itself was damaged and set aside: write a new one before appending anything. */
  mustCompact: boolean;
}

/** Applies one record to whatever is being rebuilt; gives back why it refused the record, which
 * is then damage at the record's offset like a bad checksum. */
export type ApplyRecord = (record: JournalRecord) => string | undefined;

export async function replayJournal(dir: string, options: ReplayOptions, apply: ApplyRecord): Promise<Replayed> {
  const layout = await readLayout(dir);
  const files: JournalFile[] = layout.snapshot === undefined ? [...layout.segments] : [layout.snapshot, ...layout.segments];
  const result: Replayed = {
    nextSeq: 1,
    nextFileNumber: nextFileNumber(layout),
    records: 0,
    snapshot: undefined,
    snapshotBytes: 0,
    segmentBytes: 0,
    tornTail: undefined,
    damage: undefined,
    mustCompact: false,
  };
  for (let i = 0; i < files.length; i += 1) {
    const file = files[i] as JournalFile;
    const isLast = i === files.length - 1;
    const scanned = file.kind === "snapshot" ? await scanSnapshot(file, options, result, apply) : await scanSegment(file, options, result, apply);
    const stop = scanned.stop;
    if (stop.kind === "end") {
      if (file.kind === "snapshot") result.snapshotBytes = stop.offset;
      else result.segmentBytes += stop.offset;
      if (stop.offset < scanned.size) {
        options.log.info("journal.zeros-cut", { file: file.path, offset: stop.offset, bytes: scanned.size - stop.offset });
        await cutZeros(file.path, stop.offset);
      }
      continue;
    }
    const problem: JournalDamage = { path: file.path, offset: stop.offset, reason: stop.reason };
    if (isLast && file.kind === "segment" && (await isTornTail(file.path, scanned, stop, result.nextSeq - 1, options.maxRecordBytes))) {
      options.log.warn("journal.torn-tail", { file: file.path, offset: stop.offset, bytes: scanned.size - stop.offset, reason: stop.reason });
      await dropTornTail(file.path, stop.offset);
      result.segmentBytes += stop.offset < FILE_HEADER_BYTES ? 0 : stop.offset;
      result.tornTail = problem;
      break;
    }
    if (!options.startAnyway) throw new JournalDamagedError(problem);
    const setAside = await setAsideFrom(file, stop.offset, files.slice(i + 1));
    options.log.error("journal.damaged-start-anyway", { file: file.path, offset: stop.offset, reason: stop.reason, setAside });
    result.damage = problem;
    result.mustCompact = file.kind === "snapshot";
    break;
  }
  for (const path of layout.obsolete) await unlink(path);
  if (layout.obsolete.length > 0) await syncDirectory(dir);
  return result;
}

async function scanSnapshot(file: JournalFile, options: ReplayOptions, result: Replayed, apply: ApplyRecord): Promise<ScannedFile> {
  let index = 0;
  let header: SnapshotStarted | undefined;
  let ended = false;
  let jobs = 0;
  let keys = 0;
  const visit: RecordVisitor = (record, seq) => {
    if (seq !== index) return `snapshot record ${seq} where record ${index} belongs`;
    if (ended) return `a ${record.type} record after the snapshot's end`;
    if (index === 0 && record.type !== "snapshot") return `a snapshot starts with its header, not a ${record.type} record`;
    if (record.type === "snapshot") {
      if (index > 0) return "a second snapshot header inside a snapshot";
      header = record;
    } else if (record.type === "job" || record.type === "pending-jobs") jobs += jobsIn(record);
    else if (record.type === "key") keys += 1;
    else if (record.type === "snapshot-end") {
      if (record.jobs !== jobs || record.keys !== keys) return `the snapshot's end counts ${record.jobs} jobs and ${record.keys} keys; it holds ${jobs} and ${keys}`;
      ended = true;
    } else return `a ${record.type} record inside a snapshot`;
    index += 1;
    const refused = apply(record);
    if (refused !== undefined) return refused;
    result.records += 1;
    return undefined;
  };
  const scanned = await scanFile(file.path, { kind: "snapshot", firstSeq: 0 }, options.maxRecordBytes, visit);
  result.snapshot = header;
  if (header !== undefined) result.nextSeq = header.nextSeq;
  if (scanned.stop.kind === "end" && !ended) {
    return { ...scanned, stop: { kind: "refused", offset: scanned.stop.offset, reason: "the snapshot has no end record: it was cut short" } };
  }
  return scanned;
}

function scanSegment(file: JournalFile, options: ReplayOptions, result: Replayed, apply: ApplyRecord): Promise<ScannedFile> {
  return scanFile(file.path, { kind: "segment", firstSeq: result.nextSeq }, options.maxRecordBytes, (record, seq) => {
    if (seq !== result.nextSeq) return `record ${seq} where record ${result.nextSeq} belongs`;
    if (snapshotRecordTypes.has(record.type)) return `a snapshot's ${record.type} record inside a segment`;
    const refused = apply(record);
    if (refused !== undefined) return refused;
    result.records += 1;
    result.nextSeq += 1;
    return undefined;
  });
}

/**
 * A crash mid-write leaves the last segment's last frame cut short, or (after a power loss)
 * zeros or garbage where it should be: bytes after which no whole record follows. A bad frame
 * with a whole record anywhere after it was damaged in place, and that is never a tear.
 */
async function isTornTail(path: string, scanned: ScannedFile, stop: ScanStop, lastSeq: number, maxRecordBytes: number): Promise<boolean> {
  if (stop.kind !== "cut-short" && stop.kind !== "bad") return false;
  // The header is written and synced before any record: a bad one is a tear only if the file
  // never got past its creation.
  if (!scanned.header.ok) return scanned.size < FILE_HEADER_BYTES || (await isZeroFrom(path, 0));
  // A length damaged in place can claim bytes past the end of the file, so even a frame that
  // looks cut short is a tear only if nothing whole follows it.
  return (await findRecordAfter(path, stop.offset, lastSeq, maxRecordBytes)) === undefined;
}

/** The zeros written ahead of records that never came (the queue stopped without closing the
 * segment), or a file system's fill after a power loss: cut, so that every file ends with its
 * records. */
async function cutZeros(path: string, offset: number): Promise<void> {
  await truncate(path, offset);
  await syncFile(path);
}

/** Truncates the torn tail for good, so the next append does not follow garbage. A file torn
 * inside its own header holds nothing and is removed. */
async function dropTornTail(path: string, offset: number): Promise<void> {
  if (offset < FILE_HEADER_BYTES) {
    await unlink(path);
  } else {
    await truncate(path, offset);
    await syncFile(path);
  }
  await syncDirectory(dirname(path));
}

/**
 * After damage, with start-anyway: the damaged file keeps its good records and its cut bytes
 * go to `<file>.broken`; every later file is renamed `<file>.broken` whole. Nothing is deleted,
 * so the operator can still look at what was set aside.
 */
async function setAsideFrom(file: JournalFile, offset: number, later: readonly JournalFile[]): Promise<string[]> {
  const setAside: string[] = [];
  const broken = `${file.path}.broken`;
  if (offset < FILE_HEADER_BYTES || file.kind === "snapshot") {
    await rename(file.path, broken);
  } else {
    await copyFile(file.path, broken);
    await truncate(file.path, offset);
    await syncFile(file.path);
  }
  setAside.push(broken);
  for (const next of later) {
    await rename(next.path, `${next.path}.broken`);
    setAside.push(`${next.path}.broken`);
  }
  await syncDirectory(dirname(file.path));
  return setAside;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
