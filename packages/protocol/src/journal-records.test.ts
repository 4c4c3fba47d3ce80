// Every journal record survives JSON unchanged, and a record that is not one (a field missing,
// an unknown field, a state without the field it needs) is refused, never half-applied.
import { describe, expect, it } from "vitest";
import { JournalRecord, journalRecordTypes, snapshotRecordTypes, type JournalRecord as Record } from "./journal-records.js";

const at = 1_700_000_000_000;

const examples: Record[] = [
  { type: "journal-created", at, queueId: "q-7f3a" },
  { type: "queue-started", at, queueId: "q-7f3a", run: 3 },
  { type: "queue-paused", at, queue: "emails", paused: true },
  {
    type: "submitted",
    at,
    key: "order-42",
    jobs: [
      { jobId: 1, spec: { queue: "emails", type: "send-mail", payload: { to: "a@b" }, maxAttempts: 3 }, state: "pending", order: 1 },
      { jobId: 2, spec: { delayMs: 5_000 }, state: "delayed", runAt: at + 5_000 },
    ],
  },
  { type: "leased", at, workerId: "worker-a", jobs: [{ jobId: 1, lease: 9, attempt: 1, leaseExpiresAt: at + 60_000 }] },
  { type: "due", at, jobs: [{ jobId: 2, order: 2 }] },
  { type: "completed", at, jobId: 1, lease: 9, result: { sent: true } },
  { type: "requeued", at, jobId: 1, lease: 9, outcome: "failed", error: "smtp down", attempts: 1, to: { state: "delayed", runAt: at + 1_000 } },
  { type: "requeued", at, jobId: 1, lease: 9, outcome: "released", attempts: 0, to: { state: "pending" } },
  { type: "failed", at, jobId: 1, lease: 9, outcome: "timed-out", error: "timed out after 60000 ms without completing" },
  { type: "cancelled", at, jobId: 2 },
  { type: "cancelled", at, jobId: 1, lease: 9 },
  { type: "retried", at, jobId: 1, order: 3 },
  { type: "snapshot", at, queueId: "q-7f3a", run: 3, lastJobId: 2, lastLease: 9, lastOrder: 3, nextSeq: 120, pausedQueues: ["emails"] },
  {
    type: "job",
    jobId: 1,
    spec: { queue: "emails" },
    submittedAt: at,
    state: "running",
    attempts: 2,
    lease: 9,
    workerId: "worker-a",
    leaseExpiresAt: at + 60_000,
    history: [
      { attempt: 1, lease: 8, workerId: "worker-b", startedAt: at, endedAt: at + 5, outcome: "worker-lost", error: "no heartbeat for 900 ms" },
      { attempt: 2, lease: 9, workerId: "worker-a", startedAt: at + 10, outcome: "running" },
    ],
  },
  { type: "pending-jobs", spec: { queue: "emails", payload: { to: "a@b" } }, payloadBytes: 10, jobs: [3, 4, at, 1, 1, 0, 5, -1, 2] },
  { type: "jobs-started", workers: ["worker-a", "worker-b"], jobs: [1, 9, 4, at, 1, 0, 60_000, 1, 1, 1, 0, 2, 1, 60_000] },
  { type: "jobs-completed", jobs: [1, 9, 6, at, 12, 1, 1, 1, 1, 0, 0, 0], results: [{ sent: true }] },
  { type: "key", key: "order-42", jobIds: [1, 2], at },
  { type: "snapshot-end", jobs: 4, keys: 1 },
];

describe("journal records", () => {
  it("has an example of every record type", () => {
    expect(new Set(examples.map((e) => e.type))).toEqual(new Set(journalRecordTypes));
  });

  it.each(examples.map((e) => [e.type, e] as const))("carries a %s record through JSON unchanged", (_type, record) => {
    expect(JournalRecord.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it.each(examples.map((e) => [e.type, e] as const))("refuses a %s record with a field it does not know", (_type, record) => {
    expect(JournalRecord.safeParse({ ...record, extra: 1 }).success).toBe(false);
  });

  it.each(examples.map((e) => [e.type, e] as const))("refuses a %s record without its time, id or count", (_type, record) => {
    const { at: _at, jobId: _jobId, key: _key, jobs: _jobs, ...rest } = record as { at?: number; jobId?: number; key?: string; jobs?: unknown };
    expect(JournalRecord.safeParse(rest).success).toBe(false);
  });

  it("refuses a pending job without its place in line and a delayed one without its due time", () => {
    const pending = { type: "submitted", at, jobs: [{ jobId: 1, spec: {}, state: "pending" }] };
    const delayed = { type: "submitted", at, jobs: [{ jobId: 1, spec: {}, state: "delayed" }] };
    expect(JournalRecord.safeParse(pending).success).toBe(false);
    expect(JournalRecord.safeParse(delayed).success).toBe(false);
  });

  it("refuses a requeue for an attempt that completed or an empty submission", () => {
    expect(JournalRecord.safeParse({ type: "requeued", at, jobId: 1, lease: 1, outcome: "completed", attempts: 1, to: { state: "pending" } }).success).toBe(false);
    expect(JournalRecord.safeParse({ type: "submitted", at, jobs: [] }).success).toBe(false);
  });

  it("refuses a job id or lease of zero, which no job or attempt ever has", () => {
    expect(JournalRecord.safeParse({ type: "completed", at, jobId: 0, lease: 1 }).success).toBe(false);
    expect(JournalRecord.safeParse({ type: "completed", at, jobId: 1, lease: 0 }).success).toBe(false);
  });

  it("refuses a run of pending jobs whose numbers do not come in threes or add up to an id, place or time no job has", () => {
    const run = (jobs: unknown) => JournalRecord.safeParse({ type: "pending-jobs", spec: {}, jobs }).success;
    expect(run([1, 1, at, 1, 1, 0])).toBe(true);
    expect(run([1, 1, at, 1, 1])).toBe(false);
    expect(run([])).toBe(false);
    expect(run([0, 1, at])).toBe(false);
    expect(run([1, 0, at])).toBe(false);
    expect(run([1, 1, -1])).toBe(false);
    expect(run([2, 1, at, -2, 1, 0])).toBe(false);
    expect(run([1, 1, 0.5])).toBe(false);
    expect(run([1, 1, "0"])).toBe(false);
    expect(run("1,1,0")).toBe(false);
  });

  it("names as snapshot-only exactly a snapshot's opening and closing records (job and key records are in segments too)", () => {
    expect([...snapshotRecordTypes].sort()).toEqual(["snapshot", "snapshot-end"]);
  });
});
