import { describe, expect, it } from "vitest";
import { reconnectDelayMs } from "./backoff.js";

describe("reconnectDelayMs", () => {
  it("doubles its ceiling per failure and stays between half the ceiling and the ceiling", () => {
    expect(reconnectDelayMs(0, {}, () => 0)).toBe(50);
    expect(reconnectDelayMs(0, {}, () => 1)).toBe(100);
    expect(reconnectDelayMs(3, {}, () => 0)).toBe(400);
    expect(reconnectDelayMs(3, {}, () => 1)).toBe(800);
  });

  it("never waits longer than the maximum", () => {
    expect(reconnectDelayMs(50, { maxMs: 2_000 }, () => 1)).toBe(2_000);
    expect(reconnectDelayMs(50, { maxMs: 2_000 }, () => 0)).toBe(1_000);
  });
});
