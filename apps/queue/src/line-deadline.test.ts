import { beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "./clock.js";
import { LineDeadline } from "./line-deadline.js";

describe("LineDeadline", () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it("expires a line left unfinished for the timeout, counted from its first byte", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(clock, 1_000, expired);
    deadline.update(5);
    clock.advance(600);
    deadline.update(9);
    clock.advance(399);
    expect(expired).not.toHaveBeenCalled();
    clock.advance(1);
    expect(expired).toHaveBeenCalledOnce();
  });

  it("gives each new line its own time, however many lines came before", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(clock, 1_000, expired);
    deadline.update(5);
    clock.advance(900);
    deadline.update(0);
    clock.advance(50);
    deadline.update(3);
    clock.advance(900);
    expect(expired).not.toHaveBeenCalled();
    clock.advance(100);
    expect(expired).toHaveBeenCalledOnce();
  });

  it("never fires once stopped", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(clock, 1_000, expired);
    deadline.update(5);
    deadline.stop();
    clock.advance(5_000);
    expect(expired).not.toHaveBeenCalled();
  });
});
