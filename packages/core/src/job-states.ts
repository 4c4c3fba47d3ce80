// The allowed moves of a job, written once as data. docs/protocol.md's diagram mirrors this
// table; the core refuses (throws on) any move not listed, because that would be a bug.
import type { JobState, StateCounts } from "@djq/protocol";

export const allowedMoves: Readonly<Record<JobState, readonly JobState[]>> = {
  delayed: ["pending", "cancelled"],
  pending: ["running", "cancelled"],
  running: ["completed", "pending", "delayed", "failed", "cancelled"],
  completed: [],
  failed: ["pending"],
  cancelled: ["pending"],
};

export function canMove(from: JobState, to: JobState): boolean {
  return allowedMoves[from].includes(to);
}

export function emptyCounts(): StateCounts {
  return { delayed: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
}
