// Retry backoff: exponential, capped, with jitter that is a pure function of job id and attempt.
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./retry-policy.js";

const policy = { baseMs: 1_000, maxMs: 60_000 };

describe("retryDelayMs", () => {
  it("stays within [ceiling/2, ceiling], the ceiling doubling per attempt up to maxMs", () => {
    for (let jobId = 1; jobId <= 200; jobId += 1) {
      for (let attempt = 1; attempt <= 40; attempt += 1) {
        const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
        const delay = retryDelayMs(policy, jobId, attempt);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("gives the same delay for the same job and attempt", () => {
    expect(retryDelayMs(policy, 17, 3)).toBe(retryDelayMs(policy, 17, 3));
  });

  it("spreads the delays of different jobs, so a burst of failures does not retry in lockstep", () => {
    const delays = new Set<number>();
    for (let jobId = 1; jobId <= 100; jobId += 1) delays.add(retryDelayMs(policy, jobId, 1));
    expect(delays.size).toBeGreaterThan(80);
    const mean = [...delays].reduce((s, d) => s + d, 0) / delays.size;
    expect(mean).toBeGreaterThan(650);
    expect(mean).toBeLessThan(850);
  });

  it("does not overflow for huge attempt numbers", () => {
    expect(retryDelayMs(policy, 1, 10_000)).toBeLessThanOrEqual(policy.maxMs);
  });
});
