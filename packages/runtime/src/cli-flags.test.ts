import { describe, expect, it } from "vitest";
import { FlagError, closestFlag, integerFlag, parseFlags } from "./cli-flags.js";

const spec = {
  command: "prog",
  usage: "Usage: prog [flags]",
  options: { port: { type: "string" }, count: { type: "string" }, wait: { type: "boolean" }, "duration-ms": { type: "string" } },
  aliases: { duration: "duration-ms" },
} as const;

function refusal(argv: string[]): string {
  try {
    parseFlags(argv, spec);
  } catch (error) {
    if (error instanceof FlagError) return error.message;
    throw error;
  }
  throw new Error("parsed without a refusal");
}

describe("parseFlags", () => {
  it("names an unknown flag and the close one it probably meant", () => {
    expect(refusal(["--bogus"])).toBe("unknown flag --bogus");
    expect(refusal(["--prot", "1"])).toBe("unknown flag --prot (did you mean --port?)");
    expect(refusal(["--wiat"])).toBe("unknown flag --wiat (did you mean --wait?)");
    expect(refusal(["-x"])).toBe("unknown flag -x");
  });

  it("says a flag needs a value when it ends the line or is followed by another flag", () => {
    expect(refusal(["--count"])).toBe("--count needs a value");
    expect(refusal(["--count", "--wait"])).toBe("--count needs a value (write --count=--wait if that is the value)");
    expect(parseFlags(["--count=-1"], spec).values.count).toBe("-1");
    expect(parseFlags(["--count", "-1"], spec).values.count).toBe("-1");
  });

  it("refuses a value given to a switch and positional arguments a command does not take", () => {
    expect(refusal(["--wait=yes"])).toBe("--wait takes no value");
    expect(refusal(["extra"])).toBe('unexpected argument "extra": this command takes flags only');
    expect(parseFlags(["one"], { ...spec, maxPositionals: 1 }).positionals).toEqual(["one"]);
  });

  it("reads an old spelling as the flag it stands for, the new spelling winning", () => {
    expect(parseFlags(["--duration", "5"], spec).values["duration-ms"]).toBe("5");
    expect(parseFlags(["--duration", "5", "--duration-ms", "7"], spec).values["duration-ms"]).toBe("7");
  });
});

describe("integerFlag", () => {
  it("checks the range and the form of a number", () => {
    expect(() => integerFlag("port", "70000", 1, 0, 65_535)).toThrow('--port must be a whole number from 0 to 65535, got "70000"');
    expect(() => integerFlag("count", "1.5", 1, 1)).toThrow('--count must be a whole number >= 1, got "1.5"');
    expect(() => integerFlag("count", "0x10", 1, 1)).toThrow(FlagError);
    expect(integerFlag("count", undefined, 3)).toBe(3);
  });
});

describe("closestFlag", () => {
  it("offers nothing when no flag is close", () => {
    expect(closestFlag("zzzzzz", ["port", "count"])).toBeUndefined();
  });
});
