// The bytes of a line whose newline has not arrived yet, kept at close to their own size. A peer
// may send one byte per packet: holding each as its own Buffer would cost about a hundred bytes of
// object per byte held, so small pieces are copied into blocks that grow with the line instead.
import { Buffer } from "node:buffer";

/** The first block; later ones are a quarter of what is held, so unused room stays under 25 %. */
const MIN_BLOCK_BYTES = 256;
const MAX_BLOCK_BYTES = 64 * 1024;

export class PartialLine {
  private readonly blocks: Buffer[] = [];
  /** Bytes used in the last block; the earlier blocks are full. */
  private lastUsed = 0;
  private held = 0;

  get bytes(): number {
    return this.held;
  }

  append(piece: Buffer): void {
    let offset = 0;
    const last = this.blocks[this.blocks.length - 1];
    if (last !== undefined && this.lastUsed < last.length) {
      offset = piece.copy(last, this.lastUsed, 0, Math.min(piece.length, last.length - this.lastUsed));
      this.lastUsed += offset;
    }
    const rest = piece.length - offset;
    if (rest > 0) {
      const size = Math.max(rest, Math.min(MAX_BLOCK_BYTES, Math.max(MIN_BLOCK_BYTES, this.held >>> 2)));
      // Not from the shared pool: a pooled slice would pin its whole 8 KiB slab while the line waits.
      const block = Buffer.allocUnsafeSlow(size);
      piece.copy(block, 0, offset);
      this.blocks.push(block);
      this.lastUsed = rest;
    }
    this.held += piece.length;
  }

  /** The held bytes followed by `tail`, as one buffer; the line is empty afterwards. */
  takeWith(tail: Buffer): Buffer {
    const last = this.blocks.length - 1;
    if (last >= 0) this.blocks[last] = (this.blocks[last] as Buffer).subarray(0, this.lastUsed);
    this.blocks.push(tail);
    const line = Buffer.concat(this.blocks, this.held + tail.length);
    this.clear();
    return line;
  }

  clear(): void {
    this.blocks.length = 0;
    this.lastUsed = 0;
    this.held = 0;
  }
}
