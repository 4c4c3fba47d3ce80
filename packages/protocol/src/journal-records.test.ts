// Every journal record survives JSON unchanged, and a record that is not one (a field missing,
// an unknown field, a state without the field it needs) is refused, never half-applied.
import { describe, expect, it } from "vitest";
import { JournalRecord, journalRecordTypes, snapshotRecordTypes, type JournalRecord as Record } from "./journal-records.js";

const at = 1_700_000_000_000;

const examples: Record[] = [
  { type: "journal-created", at, queueId: "q-7f3a" },
  { type: "queue-started", at, queueId: "q-7f3a", run: 3 },
  { type: "queue-paused", at, queue: "emails", paused: true },
  { type: "totals", completed: 12 },
  // A job as a segment records it after the turn that changed it: pending in line, delayed,
  // settled with its result, and cancelled mid-run with its history.
  { type: "job", jobId: 1, spec: { queue: "emails", type: "send-mail", payload: { to: "a@b" }, maxAttempts: 3 }, submittedAt: at, state: "pending", attempts: 0, order: 1, history: [], payloadBytes: 12 },
  { type: "job", jobId: 2, spec: { delayMs: 5_000 }, submittedAt: at, state: "delayed", attempts: 0, listOrder: 1, runAt: at + 5_000, history: [] },
  {
    type: "job",
    jobId: 3,
    spec: {},
    submittedAt: at,
    state: "completed",
    attempts: 1,
    order: 2,
    listOrder: 4,
    lease: 9,
    result: { sent: true },
    resultBytes: 13,
    settledAt: at + 20,
    history: [{ attempt: 1, lease: 9, workerId: "worker-a", startedAt: at + 10, endedAt: at + 20, outcome: "completed" }],
  },
  {
    type: "job",
    jobId: 4,
    spec: {},
    submittedAt: at,
    state: "cancelled",
    attempts: 1,
    order: 3,
    listOrder: 5,
    lease: 10,
    settledAt: at + 30,
    history: [{ attempt: 1, lease: 10, workerId: "worker-a", startedAt: at + 10, endedAt: at + 30, outcome: "cancelled" }],
  },
  { type: "snapshot", at, queueId: "q-7f3a", run: 3, lastJobId: 2, lastLease: 9, lastOrder: 3, nextSeq: 120, pausedQueues: ["emails"] },
  {
    type: "snapshot",
    at,
    queueId: "q-7f3a",
    run: 3,
    lastJobId: 2,
    lastLease: 9,
    lastOrder: 3,
    lastListOrder: 5,
    nextSeq: 120,
    pausedQueues: [],
    totals: { submitted: 17, completed: 12, failed: 1, cancelled: 0, reassigned: 1, retried: 0, staleRefused: 1 },
  },
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
    const { at: _at, jobId: _jobId, key: _key, jobs: _jobs, completed: _completed, ...rest } = record as { at?: number; jobId?: number; key?: string; jobs?: unknown; completed?: number };
    expect(JournalRecord.safeParse(rest).success).toBe(false);
  });

  it("refuses a job in a state no job has, or with an attempt that ended in no known way", () => {
    const job = { type: "job", jobId: 1, spec: {}, submittedAt: at, attempts: 0, history: [] };
    expect(JournalRecord.safeParse({ ...job, state: "pending" }).success).toBe(true);
    expect(JournalRecord.safeParse({ ...job, state: "paused" }).success).toBe(false);
    const attempt = { attempt: 1, lease: 9, workerId: "worker-a", startedAt: at, endedAt: at + 1 };
    expect(JournalRecord.safeParse({ ...job, state: "pending", attempts: 1, history: [{ ...attempt, outcome: "worker-lost" }] }).success).toBe(true);
    expect(JournalRecord.safeParse({ ...job, state: "pending", attempts: 1, history: [{ ...attempt, outcome: "vanished" }] }).success).toBe(false);
  });

  it("takes a totals record naming any of the totals, and refuses one naming none or one that does not exist", () => {
    expect(JournalRecord.safeParse({ type: "totals", submitted: 17, staleRefused: 1 }).success).toBe(true);
    expect(JournalRecord.safeParse({ type: "totals" }).success).toBe(false);
    expect(JournalRecord.safeParse({ type: "totals", lost: 1 }).success).toBe(false);
  });

  it("refuses a key that names no job", () => {
    expect(JournalRecord.safeParse({ type: "key", key: "order-42", jobIds: [], at }).success).toBe(false);
  });

  it("refuses a job id or lease of zero, which no job or attempt ever has", () => {
    const job = { type: "job", spec: {}, submittedAt: at, state: "running", attempts: 1, history: [] };
    expect(JournalRecord.safeParse({ ...job, jobId: 1, lease: 1 }).success).toBe(true);
    expect(JournalRecord.safeParse({ ...job, jobId: 0, lease: 1 }).success).toBe(false);
    expect(JournalRecord.safeParse({ ...job, jobId: 1, lease: 0 }).success).toBe(false);
  });

  it("knows only the records the queue writes: a record of a kind it never writes is refused", () => {
    expect([...journalRecordTypes].sort()).toEqual(["job", "jobs-completed", "jobs-started", "journal-created", "key", "pending-jobs", "queue-paused", "queue-started", "snapshot", "snapshot-end", "totals"]);
    expect(JournalRecord.safeParse({ type: "completed", at, jobId: 1, lease: 9 }).success).toBe(false);
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
