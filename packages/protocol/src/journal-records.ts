// The queue's state changes as data: what its journal holds, one record per change it
// acknowledges, and what a standby queue would read live over TCP. Each record says what the
// state became (ids, lease numbers, due times, the order in line), never only what was asked, so
// memory is rebuilt by applying records in order without running the core's decisions again,
// and applying a record twice leaves the same state as applying it once.
import { z } from "zod";
import { WorkerId } from "./hello.js";
import { AttemptOutcome, AttemptView, JobId, JobSpec, JobState, Lease, QueueName } from "./job.js";
import { JobsCompleted, JobsStarted } from "./journal-change-records.js";
import { Totals } from "./server-messages.js";

/** Epoch milliseconds. A monotonic clock restarts at boot, and the journal outlives a boot. */
const At = z.number().int().min(0);
/** Place in its queue's line: a smaller order goes first among jobs of one priority. */
const Order = z.number().int().min(1);
const Attempts = z.number().int().min(0);
/** The queue's own identity, the same across restarts on one journal; clients and workers
 * compare it to tell "the queue came back" from "a different queue answered". */
export const QueueId = z.string().min(1).max(64);
export type QueueId = z.infer<typeof QueueId>;

// ---- the queue as a whole --------------------------------------------------------------

/** The first record of a new journal. */
export const JournalCreated = z.strictObject({ type: z.literal("journal-created"), at: At, queueId: QueueId });
export type JournalCreated = z.infer<typeof JournalCreated>;

/** Written and synced at every start, before the queue serves: `run` counts the starts, so a
 * process can fence what earlier runs handed out (see the lease proposal in REPORT.md). */
export const QueueStarted = z.strictObject({ type: z.literal("queue-started"), at: At, queueId: QueueId, run: z.number().int().min(1) });
export type QueueStarted = z.infer<typeof QueueStarted>;

/** A named queue was paused or resumed; its waiting jobs stay put either way. */
export const QueuePaused = z.strictObject({ type: z.literal("queue-paused"), at: At, queue: QueueName, paused: z.boolean() });
export type QueuePaused = z.infer<typeof QueuePaused>;

/** The statistics totals (`stats.totals`) an event changed, each as it became (the others kept
 * their values): written after that event's other records. */
export const TotalsChanged = z
  .strictObject({ type: z.literal("totals"), ...Totals.partial().shape })
  .refine((record) => Object.keys(record).length > 1, "a totals record names at least one total");
export type TotalsChanged = z.infer<typeof TotalsChanged>;

// ---- a snapshot: live state at one point, written by compaction -------------------------

/** Opens a snapshot: the counters that must continue. `nextSeq` is the sequence number of the
 * first record after the snapshot, so a missing segment between a snapshot and its tail is
 * found, not skipped. The job and key records between this and `snapshot-end` may be written
 * while the queue keeps running (Node cannot fork a frozen copy): a job's record shows it as it
 * stood at some moment after `nextSeq - 1`, and replaying the tail over it converges because
 * every record says what the state became. */
export const SnapshotStarted = z.strictObject({
  type: z.literal("snapshot"),
  at: At,
  queueId: QueueId,
  run: z.number().int().min(0),
  lastJobId: z.number().int().min(0),
  lastLease: z.number().int().min(0),
  lastOrder: z.number().int().min(0),
  /** The last place given out in the delayed, running and settled listings (absent before listings had places). */
  lastListOrder: z.number().int().min(0).optional(),
  nextSeq: z.number().int().min(1),
  pausedQueues: z.array(QueueName),
  /** The statistics totals at the cut (absent in snapshots written before they were recorded). */
  totals: Totals.optional(),
});
export type SnapshotStarted = z.infer<typeof SnapshotStarted>;

/** One job as it stands, history included: in a snapshot, each live job; in a segment, each job
 * a turn changed, as it stood at the end of that turn (so the last record of a job wins). Which fields are set follows from `state`:
 * `order` while pending, `runAt` while delayed, `lease`/`workerId`/`leaseExpiresAt` while
 * running, `settledAt` once settled. */
export const JobSnapshot = z.strictObject({
  type: z.literal("job"),
  jobId: JobId,
  spec: JobSpec,
  submittedAt: At,
  state: JobState,
  attempts: Attempts,
  order: Order.optional(),
  /** Its place in its state's listing, once not pending: when it entered that state. */
  listOrder: Order.optional(),
  runAt: At.optional(),
  lease: Lease.optional(),
  workerId: WorkerId.optional(),
  leaseExpiresAt: At.optional(),
  result: z.unknown().optional(),
  error: z.string().optional(),
  settledAt: At.optional(),
  history: z.array(AttemptView),
  /** Encoded sizes of the payload and the result, as the queue measured them: the memory
   * budget's charge, restored without measuring again. */
  payloadBytes: z.number().int().min(0).optional(),
  resultBytes: z.number().int().min(0).optional(),
});
export type JobSnapshot = z.infer<typeof JobSnapshot>;

/**
 * Jobs waiting in line that never ran, alike but for their ids, places and submission times,
 * as most of a large backlog is: what a snapshot and a bulk submission write instead of one `job`
 * record each. The spec (and its payload's size) is written once; `jobs` holds three whole
 * numbers per job (its id, its place in line, when it was submitted), each as the difference from
 * the same number of the job before (the first job's from zero), so a run of a thousand jobs
 * takes a few bytes each. Each job reads as the `job` record of a pending job with no attempts.
 */
export const PendingJobs = z.strictObject({
  type: z.literal("pending-jobs"),
  spec: JobSpec,
  payloadBytes: z.number().int().min(0).optional(),
  jobs: z.custom<number[]>(arePendingJobDeltas, "three whole numbers per job (id, place in line, submission time), each less the one before, giving an id and a place of 1 or more and a time of 0 or more"),
});
export type PendingJobs = z.infer<typeof PendingJobs>;

/** Checked with plain loops, not an element schema: a run holds thousands of numbers, and a
 * backlog of a million jobs is read at start-up while nobody is served. */
function arePendingJobDeltas(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0 || value.length % 3 !== 0 || !value.every(Number.isSafeInteger)) return false;
  let valid = true;
  forEachPendingJob(value as number[], (jobId, order, submittedAt) => {
    valid = Number.isSafeInteger(jobId) && jobId >= 1 && Number.isSafeInteger(order) && order >= 1 && Number.isSafeInteger(submittedAt) && submittedAt >= 0;
    return valid;
  });
  return valid;
}

/** Calls `visit` with each job of a `pending-jobs` record's `jobs`, in order, until it returns false. */
export function forEachPendingJob(jobs: readonly number[], visit: (jobId: number, order: number, submittedAt: number) => boolean | void): void {
  let jobId = 0;
  let order = 0;
  let submittedAt = 0;
  for (let i = 0; i + 2 < jobs.length; i += 3) {
    jobId += jobs[i] as number;
    order += jobs[i + 1] as number;
    submittedAt += jobs[i + 2] as number;
    if (visit(jobId, order, submittedAt) === false) return;
  }
}

/** A submission key remembered, with the ids it produced and when: in a snapshot, each key
 * still open; in a segment, each key a submission opened. */
export const KeySnapshot = z.strictObject({
  type: z.literal("key"),
  key: z.string().min(1),
  jobIds: z.array(JobId).min(1),
  /** The digest of the submission's body, so a reuse with another body is still a key-conflict after a restart. */
  bodyDigest: z.string().min(1).optional(),
  at: At,
});
export type KeySnapshot = z.infer<typeof KeySnapshot>;

/** Closes a snapshot with the number of jobs (in `job` and `pending-jobs` records) and of key
 * records in it: a snapshot without its end, or with other counts, is damaged. */
export const SnapshotEnded = z.strictObject({ type: z.literal("snapshot-end"), jobs: z.number().int().min(0), keys: z.number().int().min(0) });
export type SnapshotEnded = z.infer<typeof SnapshotEnded>;

export const JournalRecord = z.discriminatedUnion("type", [
  JournalCreated,
  QueueStarted,
  QueuePaused,
  TotalsChanged,
  SnapshotStarted,
  JobSnapshot,
  PendingJobs,
  KeySnapshot,
  SnapshotEnded,
  JobsStarted,
  JobsCompleted,
]);
export type JournalRecord = z.infer<typeof JournalRecord>;
export type JournalRecordType = JournalRecord["type"];

export const journalRecordTypes: readonly JournalRecordType[] = JournalRecord.options.map((o) => o.shape.type.value);

/** The records only a snapshot holds: one of them in the log after a snapshot is damage. Job,
 * pending-jobs and key records are in both: a segment records each changed job and each new key the same way. */
export const snapshotRecordTypes: ReadonlySet<JournalRecordType> = new Set(["snapshot", "snapshot-end"]);
