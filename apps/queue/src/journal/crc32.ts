// CRC-32 (the IEEE polynomial of zlib, gzip and PNG), the checksum of every journal record.
// Node's own zlib.crc32 computes it natively from Node 20.15 and 22.2; on the earlier releases
// the queue still supports, a table-driven version gives the same values more slowly. CRC-32
// detects every burst error up to 32 bits within a record, which is what a torn or damaged
// disk block looks like.
import * as zlib from "node:zlib";

type Crc32 = (bytes: Uint8Array, start: number, end: number, crc: number) => number;

const table = new Int32Array(256);
for (let n = 0; n < 256; n += 1) {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

export const crc32Table: Crc32 = (bytes, start, end, crc) => {
  let c = ~crc;
  for (let i = start; i < end; i += 1) c = (table[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
};

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const crc32Native: Crc32 | undefined =
  native === undefined ? undefined : (bytes, start, end, crc) => native(bytes.subarray(start, end), crc);

/** The CRC-32 of `bytes[start, end)`, continuing from `crc` (0 to start fresh). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  return (crc32Native ?? crc32Table)(bytes, start, end, crc);
}
