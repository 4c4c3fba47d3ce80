// Newline-delimited JSON framing. The decoder enforces the frame limit while bytes arrive, so a
// peer that never sends a newline costs at most about `maxFrameBytes` of memory (see PartialLine).
import { isUtf8 } from "node:buffer";
import { ErrorCode } from "./error-codes.js";
import { DEFAULT_FRAME_BYTES } from "./limits.js";
import { PartialLine } from "./partial-line.js";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface FramingError {
  code: typeof ErrorCode.frameTooLarge | typeof ErrorCode.badUtf8;
  message: string;
}

export class FrameDecoder {
  private readonly partial = new PartialLine();
  private failure: FramingError | undefined;

  constructor(readonly maxFrameBytes: number = DEFAULT_FRAME_BYTES) {}

  /** Bytes held for a frame whose newline has not arrived yet. */
  get bufferedBytes(): number {
    return this.partial.bytes;
  }

  /**
   * Calls `onFrame` with each complete line (without its newline, blank lines skipped).
   * Returns an error once the stream can no longer be framed; every later push returns it too.
   */
  push(chunk: Buffer, onFrame: (frame: string) => void): FramingError | undefined {
    if (this.failure !== undefined) return this.failure;
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      const lineBytes = this.partial.bytes + (newline - start);
      if (lineBytes > this.maxFrameBytes) return this.fail(this.tooLarge(lineBytes));
      let line = chunk.subarray(start, newline);
      if (this.partial.bytes > 0) line = this.partial.takeWith(line);
      const error = this.emit(line, onFrame);
      if (error !== undefined) return this.fail(error);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    const rest = chunk.length - start;
    if (rest > 0) {
      if (this.partial.bytes + rest > this.maxFrameBytes) return this.fail(this.tooLarge(this.partial.bytes + rest));
      // Copied: a subarray would pin the whole (possibly large) chunk while we wait for the newline.
      this.partial.append(chunk.subarray(start));
    }
    return undefined;
  }

  private emit(line: Buffer, onFrame: (frame: string) => void): FramingError | undefined {
    let end = line.length;
    if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end -= 1;
    if (end === 0) return undefined;
    const body = end === line.length ? line : line.subarray(0, end);
    if (!isUtf8(body)) return { code: ErrorCode.badUtf8, message: "the frame is not valid UTF-8" };
    onFrame(body.toString("utf8"));
    return undefined;
  }

  private tooLarge(bytes: number): FramingError {
    return {
      code: ErrorCode.frameTooLarge,
      message: `a frame passed the limit of ${this.maxFrameBytes} bytes (${bytes} bytes without a newline)`,
    };
  }

  private fail(error: FramingError): FramingError {
    this.failure = error;
    this.partial.clear();
    return error;
  }
}

export function encodeFrame(message: object): string {
  return `${JSON.stringify(message)}\n`;
}
