// How one journal record and one journal file's header look on disk. Every record carries its
// length, its sequence number and a CRC-32 over all three parts, so a reader can tell a record
// cut short by a crash from one damaged in place. The reader decides which it is; this file
// only says what the bytes at an offset are.
import { JobState, JournalRecord, type JobSnapshot } from "@djq/protocol";
import { crc32, crc32Table } from "./crc32.js";

/** length u32 LE | crc32 u32 LE | seq f64 LE | payload (UTF-8 JSON). */
export const FRAME_HEADER_BYTES = 16;
/** magic "DJQJ" | version u16 LE | kind u8 | 0 u8 | first seq f64 LE | crc32 u32 LE of the 16 before. */
export const FILE_HEADER_BYTES = 20;
const MAGIC = 0x4a514a44; // "DJQJ" read as a little-endian u32
/** 2 added the `jobs-started` and `jobs-completed` records; 3 leaves out the `totals` records
 * that a new job's record or a `jobs-completed` record implies. Older files are read as they
 * are: each of their changes of the totals is followed by a `totals` record saying what they
 * became, which overrides what replay counted. A queue that reads only 2 refuses a 3, rather
 * than count too few. */
export const FORMAT_VERSION = 3;
const READABLE_VERSIONS: ReadonlySet<number> = new Set([1, 2, FORMAT_VERSION]);

export type FileKind = "segment" | "snapshot";
const kindByte: Record<FileKind, number> = { segment: 0, snapshot: 1 };

export function encodeFileHeader(kind: FileKind, firstSeq: number): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt16LE(FORMAT_VERSION, 4);
  header.writeUInt8(kindByte[kind], 6);
  header.writeDoubleLE(firstSeq, 8);
  header.writeUInt32LE(crc32(header, 0, 16), 16);
  return header;
}

export type FileHeader = { ok: true; kind: FileKind; firstSeq: number } | { ok: false; reason: string };

export function decodeFileHeader(bytes: Buffer): FileHeader {
  if (bytes.length < FILE_HEADER_BYTES) return { ok: false, reason: `the file header is cut short (${bytes.length} of ${FILE_HEADER_BYTES} bytes)` };
  if (bytes.readUInt32LE(0) !== MAGIC) return { ok: false, reason: "the file does not start with the journal's magic bytes" };
  if (bytes.readUInt32LE(16) !== crc32(bytes, 0, 16)) return { ok: false, reason: "the file header's checksum does not match" };
  const version = bytes.readUInt16LE(4);
  if (!READABLE_VERSIONS.has(version)) return { ok: false, reason: `journal format version ${version}; this queue reads versions 1 to ${FORMAT_VERSION}` };
  const kind = bytes.readUInt8(6) === kindByte.snapshot ? "snapshot" : "segment";
  return { ok: true, kind, firstSeq: bytes.readDoubleLE(8) };
}

/** A record as JSON, measured: what a batch holds until it is framed with its neighbours. */
export interface EncodedRecord {
  json: string;
  /** The JSON's UTF-8 length: the frame's payload. */
  payloadBytes: number;
}

/** The record as JSON. Throws if the record is not a journal record: the queue wrote something
 * its own schema refuses, which is a bug to find now, not at recovery. */
export function encodePayload(record: JournalRecord): EncodedRecord {
  const json = JSON.stringify(record);
  return { json, payloadBytes: Buffer.byteLength(json) };
}

/** Bytes the record takes on disk, frame header included. */
export function frameBytes(encoded: EncodedRecord): number {
  return FRAME_HEADER_BYTES + encoded.payloadBytes;
}

/**
 * Frames records with consecutive sequence numbers from `firstSeq` into `target` at `offset`,
 * returning where the last frame ends. A batch is framed into one buffer: one allocation and one
 * write however many records it holds.
 */
export function writeFrames(target: Buffer, offset: number, firstSeq: number, records: readonly EncodedRecord[]): number {
  let at = offset;
  for (let i = 0; i < records.length; i += 1) {
    const { json, payloadBytes } = records[i] as EncodedRecord;
    const end = at + FRAME_HEADER_BYTES + payloadBytes;
    target.writeUInt32LE(payloadBytes, at);
    target.writeDoubleLE(firstSeq + i, at + 8);
    target.write(json, at + FRAME_HEADER_BYTES, payloadBytes, "utf8");
    target.writeUInt32LE(crcOfFrame(target, at, end), at + 4);
    at = end;
  }
  return at;
}

/** The record as framed bytes. */
export function encodeRecord(seq: number, record: JournalRecord): Buffer {
  const encoded = encodePayload(record);
  const frame = Buffer.allocUnsafe(frameBytes(encoded));
  writeFrames(frame, 0, seq, [encoded]);
  return frame;
}

export type Frame =
  /** A whole, checked record; the next frame starts at `end`. */
  | { kind: "record"; seq: number; record: JournalRecord; end: number }
  /** The frame runs past the bytes there are: `needBytes` from the frame's start would hold it. */
  | { kind: "incomplete"; needBytes: number }
  /** Bytes that cannot be a frame written by this format. */
  | { kind: "bad"; reason: string; end: number | undefined };

/** What the bytes at `offset` are. `maxRecordBytes` bounds the length a frame may claim, so
 * damage in a length field is not trusted to size an allocation. */
export function decodeFrame(bytes: Buffer, offset: number, limit: number, maxRecordBytes: number): Frame {
  if (limit - offset < FRAME_HEADER_BYTES) return { kind: "incomplete", needBytes: FRAME_HEADER_BYTES };
  const payloadBytes = bytes.readUInt32LE(offset);
  if (payloadBytes === 0 || payloadBytes > maxRecordBytes) {
    return { kind: "bad", reason: `a record claims ${payloadBytes} bytes (between 1 and ${maxRecordBytes} are possible)`, end: undefined };
  }
  const end = offset + FRAME_HEADER_BYTES + payloadBytes;
  if (end > limit) return { kind: "incomplete", needBytes: FRAME_HEADER_BYTES + payloadBytes };
  if (bytes.readUInt32LE(offset + 4) !== crcOfFrame(bytes, offset, end)) return { kind: "bad", reason: "the record's checksum does not match", end };
  const seq = bytes.readDoubleLE(offset + 8);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8", offset + FRAME_HEADER_BYTES, end));
  } catch {
    return { kind: "bad", reason: "the record's checksum matches but it is not JSON", end };
  }
  if (isPlainJobRecord(parsed)) return { kind: "record", seq, record: parsed, end };
  const record = JournalRecord.safeParse(parsed);
  if (!record.success) return { kind: "bad", reason: `the record is not a journal record: ${record.error.issues[0]?.message ?? "wrong shape"}`, end };
  return { kind: "record", seq, record: record.data, end };
}

/**
 * A job record the queue wrote, as most of a large journal is: its checksum matched, so these are
 * the bytes the queue encoded from a job it had already validated, and the schema's full check
 * (a third of the time to read a million pending jobs) is skipped. Only the shape recovery relies
 * on is checked; anything else, or any other record type, goes through the schema.
 */
function isPlainJobRecord(value: unknown): value is JobSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    job.type === "job" &&
    Number.isSafeInteger(job.jobId) &&
    (job.jobId as number) >= 1 &&
    typeof job.state === "string" &&
    jobStates.has(job.state) &&
    Number.isSafeInteger(job.attempts) &&
    Number.isSafeInteger(job.submittedAt) &&
    typeof job.spec === "object" &&
    job.spec !== null &&
    Array.isArray(job.history) &&
    job.history.length === 0 &&
    (job.order === undefined || Number.isSafeInteger(job.order)) &&
    (job.runAt === undefined || Number.isSafeInteger(job.runAt)) &&
    (job.lease === undefined || Number.isSafeInteger(job.lease))
  );
}

const jobStates: ReadonlySet<unknown> = new Set(JobState.options);

/** Covers the length, the sequence number and the payload: everything in the frame but itself.
 * The four length bytes go through the table (a native call costs more than four lookups). */
function crcOfFrame(bytes: Buffer, start: number, end: number): number {
  return crc32(bytes, start + 8, end, crc32Table(bytes, start, start + 4, 0));
}
