// A CliIo that records what a command printed, with a clock the test moves by hand, so CLI
// tests assert exact output without a terminal or real time.
import type { CliIo } from "../cli/command.js";

export interface CapturedIo extends CliIo {
  stdout: string;
  stderr: string;
  advance(ms: number): void;
}

export function captureIo(options: { isTTY?: boolean; env?: Record<string, string> } = {}): CapturedIo {
  let now = 1_700_000_000_000;
  const io: CapturedIo = {
    stdout: "",
    stderr: "",
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    out: (text) => void (io.stdout += text),
    err: (text) => void (io.stderr += text),
    now: () => now,
    advance: (ms) => void (now += ms),
  };
  return io;
}
