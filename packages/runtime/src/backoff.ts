// Reconnect delays: exponential with full jitter, so a fleet that lost the queue at the same
// moment does not come back in one synchronized wave.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export function reconnectDelayMs(failures: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initialMs = options.initialMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
