import type net from "node:net";
import { describe, expect, it } from "vitest";
import { OutputBuffer } from "./output-buffer.js";

/** A socket that keeps what it is given unsent, as one whose peer does not read. */
function stalledSocket(): net.Socket & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    get writableLength() {
      return written.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    },
    write(text: string) {
      written.push(text);
      return false;
    },
  } as unknown as net.Socket & { written: string[] };
}

describe("OutputBuffer", () => {
  it("refuses the frame that would pass the bound, counting both its own queue and the socket's unsent bytes", () => {
    const socket = stalledSocket();
    const output = new OutputBuffer(socket, 100);
    expect(output.add("a".repeat(40))).toBe(true);
    output.flush();
    expect(output.add("b".repeat(40))).toBe(true);
    expect(output.roomBytes).toBe(20);
    expect(output.add("c".repeat(21))).toBe(false);
    expect(output.add("c".repeat(20))).toBe(true);
    expect(output.unsentBytes).toBe(100);
  });

  it("counts a frame in UTF-8 bytes, not characters", () => {
    const output = new OutputBuffer(stalledSocket(), 10);
    expect(output.add("é".repeat(6))).toBe(false);
    expect(output.add("é".repeat(5))).toBe(true);
  });

  it("writes every queued frame in one write, in order", () => {
    const socket = stalledSocket();
    const output = new OutputBuffer(socket, 1_000);
    output.add("one\n");
    output.add("two\n");
    output.flush();
    expect(socket.written).toEqual(["one\ntwo\n"]);
    expect(output.isEmpty).toBe(true);
  });

  it("tells its tally of every byte it sets aside for the journal and lets go, discarded ones included", () => {
    let held = 0;
    const socket = stalledSocket();
    const output = new OutputBuffer(socket, 1_000, (delta) => (held += delta));
    output.add("one\n");
    output.hold(1);
    output.add("three\n");
    output.hold(2);
    expect(held).toBe(10);
    expect(output.releaseDurable((epoch) => epoch <= 1)).toBe(false);
    output.flushAhead();
    expect(held).toBe(6);
    expect(socket.written).toEqual(["one\n"]);
    output.add("four\n");
    output.hold(3);
    output.discard();
    expect(held).toBe(0);
  });

  it("writes what goes ahead past the frames it holds, and released frames ahead of newer ones, counting all against the bound", () => {
    const socket = stalledSocket();
    const output = new OutputBuffer(socket, 30);
    output.add("reply\n");
    output.add("assign\n", undefined, true);
    expect(output.roomBytes).toBe(17);
    output.hold(1);
    output.flush();
    expect(socket.written).toEqual(["assign\n"]);
    output.add("newer\n");
    output.releaseDurable(() => true);
    output.flushAhead();
    expect(socket.written).toEqual(["assign\n", "reply\n"]);
  });
});
