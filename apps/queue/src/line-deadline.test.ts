import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LineDeadline } from "./line-deadline.js";

describe("LineDeadline", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("expires a line left unfinished for the timeout, counted from its first byte", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(1_000, expired);
    deadline.update(5);
    vi.advanceTimersByTime(600);
    deadline.update(9);
    vi.advanceTimersByTime(399);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledOnce();
  });

  it("gives each new line its own time, however many lines came before", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(1_000, expired);
    deadline.update(5);
    vi.advanceTimersByTime(900);
    deadline.update(0);
    vi.advanceTimersByTime(50);
    deadline.update(3);
    vi.advanceTimersByTime(900);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(expired).toHaveBeenCalledOnce();
  });

  it("never fires once stopped", () => {
    const expired = vi.fn();
    const deadline = new LineDeadline(1_000, expired);
    deadline.update(5);
    deadline.stop();
    vi.advanceTimersByTime(5_000);
    expect(expired).not.toHaveBeenCalled();
  });
});
