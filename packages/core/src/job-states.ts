// The allowed moves of a job, written once as data. docs/protocol.md's diagram mirrors this
// table; the core refuses (throws on) any move not listed, because that would be a bug.
import type { JobState } from "@djq/protocol";

export const allowedMoves: Readonly<Record<JobState, readonly JobState[]>> = {
  delayed: ["pending", "cancelled"],
  pending: ["running", "cancelled"],
  running: ["completed", "pending", "delayed", "failed", "cancelled"],
  completed: [],
  failed: ["pending"],
  cancelled: ["pending"],
};

export const terminalStates: ReadonlySet<JobState> = new Set<JobState>(["completed", "failed", "cancelled"]);

export function canMove(from: JobState, to: JobState): boolean {
  return allowedMoves[from].includes(to);
}

export type StateCounts = Record<JobState, number>;

export function emptyCounts(): StateCounts {
  return { delayed: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
}
