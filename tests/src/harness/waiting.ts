// Waiting in tests for something to have happened, always with a bound, so a test that goes wrong
// fails with a sentence instead of hanging until the runner gives up.
import type { LogEvent, Program } from "./processes.js";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** The `n`th (from 1) time `program` logs `event`, past or future: a second `welcome` is a reconnect. */
export function nthEvent(program: Program, event: string, n: number, timeoutMs = 15_000): Promise<LogEvent> {
  return program.waitForLog((e) => e.event === event && program.events(event).indexOf(e) === n - 1, timeoutMs, `"${event}" #${n}`);
}

/** Resolves once `done()` holds, checking every 20 ms; rejects naming `what` after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(20);
  }
}
