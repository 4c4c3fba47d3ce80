// A logger for tests that keeps every line as data, so a test can wait for an event and check
// its fields instead of parsing text.
import type { LogFields, LogLevel, Logger } from "@djq/runtime";

export interface LogEntry {
  level: LogLevel;
  event: string;
  fields: LogFields;
}

export interface CaptureLogger extends Logger {
  entries: LogEntry[];
  /** Resolves with the first entry (past or future) of this event that matches `where`. */
  waitFor(event: string, where?: (fields: LogFields) => boolean, timeoutMs?: number): Promise<LogEntry>;
  events(): string[];
}

export function captureLogger(): CaptureLogger {
  const entries: LogEntry[] = [];
  const log = (level: LogLevel) => (event: string, fields: LogFields = {}) => {
    entries.push({ level, event, fields });
  };
  return {
    entries,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    enabled: () => true,
    events: () => entries.map((entry) => entry.event),
    async waitFor(event, where = () => true, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = entries.find((entry) => entry.event === event && where(entry.fields));
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no "${event}" logged within ${timeoutMs} ms; got ${entries.map((e) => e.event).join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
