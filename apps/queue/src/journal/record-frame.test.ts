// A journal file's header says which format wrote it: this queue reads the formats earlier
// releases wrote, and refuses a newer one by its header rather than misread its records.
import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";
import { decodeFileHeader, encodeFileHeader, FORMAT_VERSION } from "./record-frame.js";

/** The header as a queue writing format `version` would have written it. */
function headerOfVersion(version: number): Buffer {
  const header = encodeFileHeader("segment", 7);
  header.writeUInt16LE(version, 4);
  header.writeUInt32LE(crc32(header, 0, 16), 16);
  return header;
}

describe("a journal file's header", () => {
  it("reads every format version up to this one", () => {
    for (let version = 1; version <= FORMAT_VERSION; version += 1) {
      expect(decodeFileHeader(headerOfVersion(version)), `version ${version}`).toEqual({ ok: true, kind: "segment", firstSeq: 7 });
    }
  });

  it("refuses a newer format by name", () => {
    expect(decodeFileHeader(headerOfVersion(FORMAT_VERSION + 1))).toEqual({
      ok: false,
      reason: `journal format version ${FORMAT_VERSION + 1}; this queue reads versions 1 to ${FORMAT_VERSION}`,
    });
  });
});
