// When a failed attempt is tried again: exponential backoff with jitter. The jitter is a pure
// function of job id and attempt, so the core stays deterministic and tests can predict it.

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Delay before attempt `attempt + 1`, in [ceiling/2, ceiling] where ceiling doubles per attempt. */
export function retryDelayMs(policy: RetryPolicy, jobId: number, attempt: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * unitHash(jobId, attempt));
}

/** A well-mixed value in [0, 1) from two integers (a 32-bit integer hash, not cryptographic). */
function unitHash(a: number, b: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32;
}
