// The statistics totals `stats` reports, and how the journal counts the two it does not record.
import type { Totals } from "@djq/protocol";

export const totalNames: readonly (keyof Totals)[] = ["submitted", "completed", "failed", "cancelled", "reassigned", "retried", "staleRefused"];

/** Every total at zero: a fresh queue's, and where replaying a journal without a snapshot starts. */
export function zeroTotals(): Totals {
  return { submitted: 0, completed: 0, failed: 0, cancelled: 0, reassigned: 0, retried: 0, staleRefused: 0 };
}

/**
 * The rule the change log writes by and replay reads by, so that the two count alike: a record of
 * a job id above every id recorded before it (`lastJobId`) is one submission, counted in `totals`.
 * Returns the highest id recorded, this one included.
 */
export function countSubmission(jobId: number, lastJobId: number, totals: Totals): number {
  if (jobId <= lastJobId) return lastJobId;
  totals.submitted += 1;
  return jobId;
}
