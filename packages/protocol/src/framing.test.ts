// The frame decoder must give the same frames however TCP happens to cut the byte stream, and
// must never hold more than `maxFrameBytes` for a peer that stops sending newlines.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "./error-codes.js";
import { FrameDecoder, encodeFrame, type FramingError } from "./framing.js";
import { DEFAULT_FRAME_BYTES } from "./limits.js";

/** `DJQ_SEED=… pnpm test` replays a failing property run; fast-check prints the seed on failure. */
const propertyOptions = process.env.DJQ_SEED === undefined ? {} : { seed: Number(process.env.DJQ_SEED) };

interface Decoded {
  frames: string[];
  error: FramingError | undefined;
}

/** Feeds `chunks` in order, stopping at the first error, and checks the buffer bound after every push. */
function decode(chunks: readonly Buffer[], maxFrameBytes?: number): Decoded {
  const decoder = new FrameDecoder(maxFrameBytes);
  const frames: string[] = [];
  for (const chunk of chunks) {
    const error = decoder.push(chunk, (frame) => frames.push(frame));
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(decoder.maxFrameBytes);
    if (error !== undefined) return { frames, error };
  }
  return { frames, error: undefined };
}

/** Cuts `bytes` at the given offsets (sorted, duplicates allowed: they make empty chunks). */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const sorted = [...offsets].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of sorted) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

// Several frames with the awkward cases in one stream: multi-byte UTF-8 of 2, 3 and 4 bytes,
// CRLF endings, blank lines (bare and CRLF) and a frame that is a single byte.
const frames = [
  '{"id":1,"type":"hello","role":"client","version":1}',
  '{"id":2,"type":"submit","jobs":[{"payload":"café ☕ 𝄞 日本"}]}',
  "7",
  '{"id":"ü-3","type":"status","jobId":1}',
  '{"id":4,"type":"stats"}',
];
const stream = Buffer.from(`${frames[0]}\n${frames[1]}\r\n\n${frames[2]}\n\r\n${frames[3]}\r\n${frames[4]}\n`, "utf8");

describe("FrameDecoder", () => {
  it("yields every frame of a stream fed in one chunk", () => {
    expect(decode([stream])).toEqual({ frames, error: undefined });
  });

  it("yields the same frames when the stream is split at every byte offset", () => {
    for (let offset = 0; offset <= stream.length; offset += 1) {
      expect(decode(cut(stream, [offset])), `split at ${offset}`).toEqual({ frames, error: undefined });
    }
  });

  it("yields the same frames when the stream is split at every pair of byte offsets", () => {
    for (let first = 0; first <= stream.length; first += 1) {
      for (let second = first; second <= stream.length; second += 1) {
        const result = decode(cut(stream, [first, second]));
        if (result.frames.length !== frames.length || result.error !== undefined) {
          expect(result, `split at ${first} and ${second}`).toEqual({ frames, error: undefined });
        }
      }
    }
  });

  it("yields the same frames when the stream arrives one byte at a time", () => {
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(decode(bytes)).toEqual({ frames, error: undefined });
  });

  it("yields the same frames for random frames in random chunkings", () => {
    const frame = fc.json({ maxDepth: 3, stringUnit: "binary" });
    const ending = fc.constantFrom("\n", "\r\n");
    const line = fc.record({ frame, ending, blankBefore: fc.option(ending, { nil: undefined }) });
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (lines, rawOffsets) => {
          const text = lines.map((l) => `${l.blankBefore ?? ""}${l.frame}${l.ending}`).join("");
          const bytes = Buffer.from(text, "utf8");
          const offsets = rawOffsets.map((offset) => offset % (bytes.length + 1));
          const result = decode(cut(bytes, offsets));
          expect(result).toEqual({ frames: lines.map((l) => l.frame), error: undefined });
        },
      ),
      propertyOptions,
    );
  });

  it("yields every frame of a chunk holding several coalesced frames", () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from("{}\n[]\n1\n"), (f) => seen.push(f))).toBeUndefined();
    expect(seen).toEqual(["{}", "[]", "1"]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("keeps a trailing partial frame until its newline arrives", () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder();
    decoder.push(Buffer.from('{"a":1}\n{"b"'), (f) => seen.push(f));
    expect(seen).toEqual(['{"a":1}']);
    expect(decoder.bufferedBytes).toBe(4);
    decoder.push(Buffer.from(":2}\n"), (f) => seen.push(f));
    expect(seen).toEqual(['{"a":1}', '{"b":2}']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("strips one carriage return before the newline", () => {
    expect(decode([Buffer.from("{}\r\n")]).frames).toEqual(["{}"]);
    expect(decode([Buffer.from("{}\r"), Buffer.from("\n")]).frames).toEqual(["{}"]);
    expect(decode([Buffer.from("{}\r\r\n")]).frames).toEqual(["{}\r"]);
  });

  it("keeps a carriage return that is not right before the newline", () => {
    expect(decode([Buffer.from("a\rb\n")]).frames).toEqual(["a\rb"]);
  });

  it("skips blank lines, bare or CRLF", () => {
    expect(decode([Buffer.from("\n\r\n\n{}\n\r\n")]).frames).toEqual(["{}"]);
  });

  it("does not yield a frame whose newline has not arrived", () => {
    expect(decode([Buffer.from('{"id":1}')]).frames).toEqual([]);
  });

  it("accepts a frame of exactly maxFrameBytes bytes", () => {
    const body = "x".repeat(16);
    expect(decode([Buffer.from(`${body}\n`)], 16)).toEqual({ frames: [body], error: undefined });
  });

  it("counts a carriage return towards maxFrameBytes", () => {
    const body = "x".repeat(16);
    expect(decode([Buffer.from(`${body}\r\n`)], 16).error?.code).toBe(ErrorCode.frameTooLarge);
  });

  it("refuses a line as soon as it passes maxFrameBytes, byte by byte, without a newline ever arriving", () => {
    const decoder = new FrameDecoder(16);
    for (let i = 1; i <= 16; i += 1) {
      expect(decoder.push(Buffer.from("x"), () => {})).toBeUndefined();
      expect(decoder.bufferedBytes).toBe(i);
    }
    const error = decoder.push(Buffer.from("x"), () => {});
    expect(error?.code).toBe(ErrorCode.frameTooLarge);
    expect(error?.message).toContain("16 bytes");
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("refuses a chunk without a newline larger than maxFrameBytes without buffering it", () => {
    const decoder = new FrameDecoder(16);
    expect(decoder.push(Buffer.alloc(10 * 16, 0x78), () => {})?.code).toBe(ErrorCode.frameTooLarge);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("refuses a line whose newline comes after maxFrameBytes, yet yields the frames before it", () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder(16);
    const error = decoder.push(Buffer.from(`{}\n${"x".repeat(17)}\n{}\n`), (f) => seen.push(f));
    expect(error?.code).toBe(ErrorCode.frameTooLarge);
    expect(seen).toEqual(["{}"]);
  });

  it("refuses a long line split over chunks once the parts together pass maxFrameBytes", () => {
    const decoder = new FrameDecoder(16);
    expect(decoder.push(Buffer.from("x".repeat(10)), () => {})).toBeUndefined();
    expect(decoder.push(Buffer.from(`${"x".repeat(7)}\n`), () => {})?.code).toBe(ErrorCode.frameTooLarge);
  });

  it("uses a limit of 1 MiB by default", () => {
    expect(new FrameDecoder().maxFrameBytes).toBe(DEFAULT_FRAME_BYTES);
    expect(DEFAULT_FRAME_BYTES).toBe(1024 * 1024);
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.alloc(DEFAULT_FRAME_BYTES, 0x78), () => {})).toBeUndefined();
    expect(decoder.push(Buffer.from("x"), () => {})?.code).toBe(ErrorCode.frameTooLarge);
  });

  it.each([
    ["a lone continuation byte", [0x80]],
    ["an 0xff byte", [0xff]],
    ["an overlong encoding of NUL", [0xc0, 0x80]],
    ["an encoded UTF-16 surrogate", [0xed, 0xa0, 0x80]],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["a multi-byte character cut short by the newline", [0xe2, 0x82]],
  ])("refuses %s with bad-utf8", (_name, bytes) => {
    const line = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}\n')]);
    expect(decode([line]).error).toEqual({ code: ErrorCode.badUtf8, message: expect.any(String) });
  });

  it("decodes multi-byte characters split across chunks at every offset", () => {
    const text = "é€𝄞😀ü";
    const bytes = Buffer.from(`${text}\n`, "utf8");
    for (let first = 0; first <= bytes.length; first += 1) {
      for (let second = first; second <= bytes.length; second += 1) {
        expect(decode(cut(bytes, [first, second])).frames).toEqual([text]);
      }
    }
  });

  it("returns the same error from every push after the first error and yields no more frames", () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder(8);
    const error = decoder.push(Buffer.from("x".repeat(9)), (f) => seen.push(f));
    expect(error?.code).toBe(ErrorCode.frameTooLarge);
    expect(decoder.push(Buffer.from("{}\n"), (f) => seen.push(f))).toBe(error);
    expect(decoder.push(Buffer.alloc(0), (f) => seen.push(f))).toBe(error);
    expect(seen).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("returns the same bad-utf8 error from every push after it", () => {
    const decoder = new FrameDecoder();
    const error = decoder.push(Buffer.from([0xff, 0x0a]), () => {});
    expect(error?.code).toBe(ErrorCode.badUtf8);
    expect(decoder.push(Buffer.from("{}\n"), () => expect.unreachable())).toBe(error);
  });

  it("never throws and never buffers more than maxFrameBytes, whatever bytes arrive", () => {
    // Bytes biased towards newlines, carriage returns and UTF-8 lead bytes, so frames do end.
    const byte = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
      { weight: 1, arbitrary: fc.constantFrom(0x0a, 0x0d, 0xc3, 0xe2, 0xf0, 0x80) },
    );
    const chunk = fc.array(byte, { maxLength: 80 }).map((bytes) => Buffer.from(bytes));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(chunk, { maxLength: 20 }), (max, chunks) => {
        const decoder = new FrameDecoder(max);
        let firstError: FramingError | undefined;
        for (const piece of chunks) {
          const error = decoder.push(piece, (frame) => {
            expect(Buffer.byteLength(frame, "utf8")).toBeLessThanOrEqual(max);
            expect(frame).not.toBe("");
            expect(frame).not.toContain("\n");
          });
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(max);
          if (firstError !== undefined) expect(error).toBe(firstError);
          firstError ??= error;
          if (error !== undefined) expect([ErrorCode.frameTooLarge, ErrorCode.badUtf8]).toContain(error.code);
        }
      }),
      propertyOptions,
    );
  });
});

describe("encodeFrame", () => {
  it("writes one JSON object followed by exactly one newline, even when strings hold newlines", () => {
    const message = { id: 1, type: "submit", jobs: [{ payload: "two\nlines\r\n" }] };
    const frame = encodeFrame(message);
    expect(frame.endsWith("\n")).toBe(true);
    expect(frame.indexOf("\n")).toBe(frame.length - 1);
    expect(decode([Buffer.from(frame)]).frames.map((f) => JSON.parse(f) as unknown)).toEqual([message]);
  });
});
