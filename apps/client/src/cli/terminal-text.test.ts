import { describe, expect, it } from "vitest";
import { columnsOf, fitWidth, printable, wrapParts } from "./terminal-text.js";

describe("terminal text", () => {
  it("replaces control characters, escapes and direction overrides with spaces", () => {
    expect(printable("a\x1b[2Jb\nc\td\x9be\u202ef")).toBe("a [2Jb c d e f");
  });

  it("cuts a line to the width with … and leaves short lines alone", () => {
    expect(fitWidth("abcdef", 4)).toBe("abc…");
    expect(fitWidth("abcd", 4)).toBe("abcd");
    expect(fitWidth("abc", 0)).toBe("");
  });

  it("never cuts a character in half", () => {
    expect(fitWidth("😀😀😀", 2)).toBe("😀…");
  });

  it("pads rows into columns, right-aligning the ones asked for", () => {
    expect(
      columnsOf(
        [
          ["id", "name", "note"],
          ["7", "w-1", ""],
          ["12", "w", "x"],
        ],
        ["right"],
      ),
    ).toEqual(["id  name  note", " 7  w-1", "12  w     x"]);
  });

  it("wraps parts at whole parts, indenting the lines after the first", () => {
    expect(wrapParts(["pending 3", "running 2", "failed 1"], 25, "jobs  ", "      ")).toEqual(["jobs  pending 3", "      running 2  failed 1"]);
    expect(wrapParts(["a-part-wider-than-the-line", "b"], 10, "", "  ")).toEqual(["a-part-wider-than-the-line", "  b"]);
  });
});
