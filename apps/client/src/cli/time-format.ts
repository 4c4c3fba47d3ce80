// How the CLI writes instants and durations: instants as ISO-8601 UTC (unambiguous in logs and
// across time zones), durations in the largest unit that keeps them short.

export function formatInstant(at: number): string {
  return new Date(at).toISOString();
}

export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  return formatSeconds(Math.round(ms / 1_000));
}

/** `45s`, `2m05s`, `1h02m`: for ETAs, where a decimal second is noise. */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3_600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3_600)}h${String(Math.floor((whole % 3_600) / 60)).padStart(2, "0")}m`;
}
