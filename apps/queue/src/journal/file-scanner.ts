// Walks one journal file frame by frame, reading it in chunks so a snapshot of a million jobs
// never has to sit in memory whole. It reports what each frame is; deciding what a bad frame
// means (a torn tail or damage) is the reader's job.
import { open, type FileHandle } from "node:fs/promises";
import type { JournalRecord } from "@djq/protocol";
import { FILE_HEADER_BYTES, FRAME_HEADER_BYTES, decodeFileHeader, decodeFrame, type FileHeader, type FileKind } from "./record-frame.js";

const CHUNK_BYTES = 1 << 20;

export type ScanStop =
  /** Every byte of the file before `offset` was a whole, checked record, and every byte from it
   * on, if the file goes on past it, is zero: zeros written ahead of records that never came. */
  | { kind: "end"; offset: number }
  /** The last frame runs past the end of the file. */
  | { kind: "cut-short"; offset: number; reason: string }
  /** Bytes at `offset` are no frame; `frameEnd` is where the frame would end if its length is believable. */
  | { kind: "bad"; offset: number; reason: string; frameEnd: number | undefined }
  /** The visitor refused the record at `offset` (out of order, wrong kind of record here). */
  | { kind: "refused"; offset: number; reason: string };

/** Says why a record cannot stand here, or undefined to accept it. */
export type RecordVisitor = (record: JournalRecord, seq: number) => string | undefined;

export interface ScannedFile {
  header: FileHeader;
  size: number;
  stop: ScanStop;
}

/** What the file must be: its kind and the sequence number its first record must carry. */
export interface ExpectedFile {
  kind: FileKind;
  firstSeq: number;
}

export async function scanFile(path: string, expected: ExpectedFile, maxRecordBytes: number, visit: RecordVisitor): Promise<ScannedFile> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const headerBytes = Buffer.alloc(Math.min(FILE_HEADER_BYTES, size));
    await handle.read(headerBytes, 0, headerBytes.length, 0);
    const header = decodeFileHeader(headerBytes);
    if (!header.ok) return { header, size, stop: { kind: "bad", offset: 0, reason: header.reason, frameEnd: undefined } };
    if (header.kind !== expected.kind) return { header, size, stop: { kind: "refused", offset: 0, reason: `a ${header.kind}'s header on a ${expected.kind} file` } };
    if (header.firstSeq !== expected.firstSeq) {
      const reason = `the file starts at record ${header.firstSeq} where record ${expected.firstSeq} belongs: a file before it is missing`;
      return { header, size, stop: { kind: "refused", offset: 0, reason } };
    }
    return { header, size, stop: await scanFrames(handle, size, maxRecordBytes, visit) };
  } finally {
    await handle.close();
  }
}

async function scanFrames(handle: FileHandle, size: number, maxRecordBytes: number, visit: RecordVisitor): Promise<ScanStop> {
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** File offset of buffer[0]. */
  let base = FILE_HEADER_BYTES;
  let filled = 0;
  let at = 0;
  for (;;) {
    const frame = decodeFrame(buffer, at, filled, maxRecordBytes);
    if (frame.kind === "record") {
      const refusal = visit(frame.record, frame.seq);
      if (refusal !== undefined) return { kind: "refused", offset: base + at, reason: refusal };
      at = frame.end;
      continue;
    }
    if (frame.kind === "bad") {
      if (await isZeroBetween(handle, base + at, size)) return { kind: "end", offset: base + at };
      const frameEnd = frame.end === undefined ? undefined : base + frame.end;
      return { kind: "bad", offset: base + at, reason: frame.reason, frameEnd };
    }
    const unread = size - (base + filled);
    if (unread <= 0) {
      if (at === filled || (await isZeroBetween(handle, base + at, size))) return { kind: "end", offset: base + at };
      return { kind: "cut-short", offset: base + at, reason: `the last record is cut short (${filled - at} of at least ${frame.needBytes} bytes)` };
    }
    // Keep the partial frame, make room for all of it, and read on.
    const kept = filled - at;
    if (frame.needBytes > buffer.length) {
      const grown = Buffer.allocUnsafe(frame.needBytes + CHUNK_BYTES);
      buffer.copy(grown, 0, at, filled);
      buffer = grown;
    } else {
      buffer.copy(buffer, 0, at, filled);
    }
    base += at;
    at = 0;
    filled = kept;
    const { bytesRead } = await handle.read(buffer, filled, Math.min(buffer.length - filled, unread), base + filled);
    if (bytesRead === 0) return { kind: "cut-short", offset: base, reason: "the file shrank while it was read" };
    filled += bytesRead;
  }
}

/**
 * Where a whole, checked record with a sequence number above `afterSeq` starts, searching every
 * byte from `offset` on, or undefined if there is none. A record like that after a bad frame
 * means the bad frame was damaged in place; without one, the bad bytes are a write that never
 * finished. Only the error path runs this, over the rest of one segment.
 */
export async function findRecordAfter(path: string, offset: number, afterSeq: number, maxRecordBytes: number): Promise<number | undefined> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const rest = Buffer.allocUnsafe(Math.max(0, size - offset));
    await handle.read(rest, 0, rest.length, offset);
    for (let at = 1; at + FRAME_HEADER_BYTES <= rest.length; at += 1) {
      const seq = rest.readDoubleLE(at + 8);
      if (!(seq > afterSeq && Number.isInteger(seq))) continue;
      if (decodeFrame(rest, at, rest.length, maxRecordBytes).kind === "record") return offset + at;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** True if every byte of the file from `offset` on is zero: a file system's fill after a
 * power loss, or the zeros a segment is preallocated with. */
export async function isZeroFrom(path: string, offset: number): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    return await isZeroBetween(handle, offset, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

async function isZeroBetween(handle: FileHandle, start: number, end: number): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(0, end - start)));
  for (let at = start; at < end; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - at), at);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i += 1) if (buffer[i] !== 0) return false;
    at += bytesRead;
  }
  return true;
}
