// The start-up warm-up parses every example: a stale example would leave a schema cold.
import { describe, expect, it } from "vitest";
import { requestExamples, serverMessageExamples } from "./examples.js";
import { warmUpRequestParser, warmUpServerMessageParser } from "./warm-up.js";

describe("parser warm-up", () => {
  it("parses every request example", () => {
    expect(warmUpRequestParser()).toBe(Object.keys(requestExamples).length);
  });

  it("parses every server-message example", () => {
    expect(warmUpServerMessageParser()).toBe(Object.keys(serverMessageExamples).length);
  });
});
