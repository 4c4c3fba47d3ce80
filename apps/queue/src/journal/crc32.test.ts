// The checksum is zlib's CRC-32 whichever way it is computed, so a journal written on one Node
// release reads on another, and any other CRC-32 implementation can check it.
import { describe, expect, it } from "vitest";
import { crc32, crc32Native, crc32Table } from "./crc32.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const ways = [["the table", crc32Table], ...(crc32Native === undefined ? [] : [["zlib", crc32Native] as const])] as const;

describe.each(ways)("crc32 computed by %s", (_name, compute) => {
  const whole = (data: Uint8Array) => compute(data, 0, data.length, 0);

  it("gives the standard check values", () => {
    expect(whole(bytes("123456789"))).toBe(0xcbf43926);
    expect(whole(bytes("hello"))).toBe(907060870);
    expect(whole(new Uint8Array(0))).toBe(0);
  });

  it("continues across pieces as if over the whole", () => {
    const data = bytes("the queue survives its own crash");
    expect(compute(data, 10, data.length, compute(data, 0, 10, 0))).toBe(whole(data));
  });

  it("changes when any single bit of a record flips", () => {
    const record = bytes('{"type":"key","key":"order-42","jobIds":[1],"at":1}');
    const good = whole(record);
    for (let i = 0; i < record.length * 8; i += 1) {
      const flipped = Uint8Array.from(record);
      flipped[i >> 3] = (flipped[i >> 3] as number) ^ (1 << (i & 7));
      expect(whole(flipped)).not.toBe(good);
    }
  });
});

describe("crc32", () => {
  it("gives the table's values on random data, piece by piece", () => {
    let seed = 12345;
    for (let round = 0; round < 200; round += 1) {
      const data = Uint8Array.from({ length: round * 7 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      const cut = Math.floor(data.length / 3);
      expect(crc32(data, cut, data.length, crc32(data, 0, cut))).toBe(crc32Table(data, 0, data.length, 0));
    }
  });
});
