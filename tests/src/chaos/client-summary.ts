// The one JSON line a chaos client prints on stdout when it is done: every job id it submitted by
// settled state, and which ids were designed to fail. Shared by the client and the report.
import type { JobId, TerminalState } from "@djq/client";

export interface ChaosClientSummary {
  client: string;
  submitted: number;
  elapsedMs: number;
  designed: { failOnce: JobId[]; failAlways: JobId[] };
  settled: Record<TerminalState, JobId[]>;
  /** Present only when the client gave up waiting. */
  unsettled?: JobId[];
}

/** The summary line in a client's stdout, or undefined if there is none that parses. */
export function parseClientSummary(stdout: string): ChaosClientSummary | undefined {
  const line = stdout.split("\n").reverse().find((text) => text.startsWith("{"));
  if (line === undefined) return undefined;
  try {
    const parsed = JSON.parse(line) as ChaosClientSummary;
    return typeof parsed.client === "string" && parsed.settled !== undefined ? parsed : undefined;
  } catch {
    return undefined;
  }
}
