// The checksum matches the published CRC-32C check values, so a journal written here can be
// verified by any other CRC-32C implementation.
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("crc32c", () => {
  it("gives the standard check value for 123456789", () => {
    expect(crc32c(bytes("123456789"))).toBe(0xe3069283);
  });

  // RFC 3720 appendix B.4: 32 bytes of zeros, of ones, ascending and descending.
  it("gives the iSCSI test vectors of RFC 3720", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("continues across pieces as if over the whole", () => {
    const whole = bytes("the queue survives its own crash");
    const first = crc32c(whole, 0, 10);
    expect(crc32c(whole, 10, whole.length, first)).toBe(crc32c(whole));
  });

  it("changes when any single bit of a record flips", () => {
    const record = bytes('{"type":"completed","at":1,"jobId":1,"lease":9}');
    const good = crc32c(record);
    for (let i = 0; i < record.length * 8; i += 1) {
      const flipped = Uint8Array.from(record);
      flipped[i >> 3] = (flipped[i >> 3] as number) ^ (1 << (i & 7));
      expect(crc32c(flipped)).not.toBe(good);
    }
  });
});
