// CRC-32C (Castagnoli), the checksum of every journal record. Node's zlib.crc32 is the IEEE
// polynomial and exists only from Node 20.15 and 22.2; this table-driven version runs on every
// Node the queue supports and detects all burst errors up to 32 bits within a record.

const POLYNOMIAL = 0x82f63b78; // 0x1EDC6F41 bit-reversed

const table = new Int32Array(256);
for (let n = 0; n < 256; n += 1) {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

/** The CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to start fresh). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i += 1) c = (table[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
