// One line per event for every long-running program: readable `key=value` text on a terminal,
// JSON lines for machines. Logs go to stderr so stdout stays the program's own output.

export const logLevels = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ["text", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  program: string;
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(options: LoggerOptions): Logger {
  const threshold = rank[options.level ?? "info"];
  const format = options.format ?? "text";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const log = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (rank[level] < threshold) return;
    const at = new Date().toISOString();
    write(
      format === "json"
        ? `${JSON.stringify({ at, level, program: options.program, event, ...fields })}\n`
        : `${at} ${options.program} ${level.padEnd(5)} ${event}${formatFields(fields)}\n`,
    );
  };
  return {
    debug: (event, fields) => log("debug", event, fields),
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
    enabled: (level) => rank[level] >= threshold,
  };
}

function formatFields(fields: LogFields): string {
  let text = "";
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    // A list of plain values reads as `queues=a,b` here and stays an array in JSON lines.
    const plainList = Array.isArray(value) && value.every((item) => typeof item === "string" || typeof item === "number");
    const plain = typeof value === "string" ? value : plainList ? value.join(",") : undefined;
    const shown = plain === undefined ? JSON.stringify(value) : /[\s"=]/.test(plain) ? JSON.stringify(plain) : plain;
    text += ` ${key}=${shown}`;
  }
  return text;
}
