import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { PartialLine } from "./partial-line.js";

describe("PartialLine", () => {
  it("gives back every byte in order, whatever the size of the pieces it was fed", () => {
    const text = Array.from({ length: 70_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    for (const pieceBytes of [1, 7, 300, 65_537]) {
      const line = new PartialLine();
      for (let at = 0; at < text.length; at += pieceBytes) line.append(Buffer.from(text.slice(at, at + pieceBytes)));
      expect(line.bytes).toBe(text.length);
      expect(line.takeWith(Buffer.from("!")).toString()).toBe(`${text}!`);
      expect(line.bytes).toBe(0);
    }
  });

  it("keeps one-byte pieces in a few blocks, not one object per byte", () => {
    const line = new PartialLine();
    for (let i = 0; i < 100_000; i += 1) line.append(Buffer.from([120]));
    const blocks = (line as unknown as { blocks: Buffer[] }).blocks;
    expect(blocks.length).toBeLessThan(40);
    const reserved = blocks.reduce((sum, block) => sum + block.length, 0);
    expect(reserved / line.bytes).toBeLessThan(1.3);
  });
});
