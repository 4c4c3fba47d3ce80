// A turn's leases and completions written as numbers read back as the same leases and
// completions, and numbers no lease or completion could have are refused, not applied.
import { describe, expect, it } from "vitest";
import {
  CompletedJobsWriter,
  forEachCompletedJob,
  forEachStartedJob,
  JobsCompleted,
  JobsStarted,
  StartedJobsWriter,
  type JobCompletion,
  type JobStart,
} from "./journal-change-records.js";

const at = 1_700_000_000_000;

const starts: JobStart[] = [
  { jobId: 7, lease: 20, attempt: 1, workerId: "worker-a", startedAt: at, leaseExpiresAt: at + 60_000, listOrder: 31 },
  { jobId: 9, lease: 21, attempt: 3, workerId: "worker-b", startedAt: at + 2, leaseExpiresAt: at + 1_002, listOrder: 32 },
  { jobId: 8, lease: 22, attempt: 1, workerId: "worker-a", startedAt: at + 2, leaseExpiresAt: at + 60_002, listOrder: 33 },
];

const completions: JobCompletion[] = [
  { jobId: 9, lease: 21, listOrder: 40, settledAt: at + 5, resultBytes: 11, result: { sent: true } },
  { jobId: 7, lease: 20, listOrder: 41, settledAt: at + 5, resultBytes: 0 },
  { jobId: 8, lease: 22, listOrder: 42, settledAt: at + 6, resultBytes: 4, result: null },
];

function written<T>(record: T): T {
  return JSON.parse(JSON.stringify(record)) as T;
}

describe("a turn's leases and completions as numbers", () => {
  it("reads back every field of every lease, in order, after JSON and the schema", () => {
    const writer = new StartedJobsWriter();
    for (const s of starts) writer.add(s.jobId, s.lease, s.attempt, s.workerId, s.startedAt, s.leaseExpiresAt, s.listOrder);
    const record = JobsStarted.parse(written(writer.record()));
    expect(record.workers).toEqual(["worker-a", "worker-b"]);
    const read: JobStart[] = [];
    forEachStartedJob(record, (job) => read.push(job));
    expect(read).toEqual(starts);
  });

  it("reads back every field of every completion, telling a null result from none", () => {
    const writer = new CompletedJobsWriter();
    for (const c of completions) writer.add(c.jobId, c.lease, c.listOrder, c.settledAt, c.resultBytes, c.result);
    const record = JobsCompleted.parse(written(writer.record()));
    const read: JobCompletion[] = [];
    forEachCompletedJob(record, (job) => read.push(job));
    expect(read).toEqual(completions);
    expect("result" in (read[1] as JobCompletion)).toBe(false);
  });

  it("refuses leases whose numbers do not come in sevens or give an id, lease, place or attempt of 0 or a time below 0", () => {
    const started = (jobs: unknown) => JobsStarted.safeParse({ type: "jobs-started", workers: ["w"], jobs }).success;
    expect(started([1, 1, 1, at, 1, 0, 100])).toBe(true);
    expect(started([1, 1, 1, at, 1, 0])).toBe(false);
    expect(started([])).toBe(false);
    expect(started([0, 1, 1, at, 1, 0, 100])).toBe(false);
    expect(started([1, 0, 1, at, 1, 0, 100])).toBe(false);
    expect(started([1, 1, 0, at, 1, 0, 100])).toBe(false);
    expect(started([1, 1, 1, -1, 1, 0, 100])).toBe(false);
    expect(started([1, 1, 1, at, 0, 0, 100])).toBe(false);
    expect(started([1, 1, 1, at, 1, -1, 100])).toBe(false);
    expect(started([1, 1, 1, at, 1, 0, -1])).toBe(false);
    expect(started([2, 1, 1, at, 1, 0, 100, -2, 1, 1, 0, 1, 0, 100])).toBe(false);
    expect(started([1, 1, 1, at, 1, 0, 0.5])).toBe(false);
    expect(JobsStarted.safeParse({ type: "jobs-started", workers: [], jobs: [1, 1, 1, at, 1, 0, 100] }).success).toBe(false);
  });

  it("refuses completions whose numbers do not come in sixes, give an id, lease or place of 0, or flag a result with other than 0 or 1", () => {
    const completed = (jobs: unknown) => JobsCompleted.safeParse({ type: "jobs-completed", jobs, results: [] }).success;
    expect(completed([1, 1, 1, at, 0, 0])).toBe(true);
    expect(completed([1, 1, 1, at, 0])).toBe(false);
    expect(completed([0, 1, 1, at, 0, 0])).toBe(false);
    expect(completed([1, 0, 1, at, 0, 0])).toBe(false);
    expect(completed([1, 1, 0, at, 0, 0])).toBe(false);
    expect(completed([1, 1, 1, -1, 0, 0])).toBe(false);
    expect(completed([1, 1, 1, at, -1, 0])).toBe(false);
    expect(completed([1, 1, 1, at, 0, 2])).toBe(false);
  });

  it("throws on a worker index or a result count the record does not hold, rather than making one up", () => {
    expect(() => forEachStartedJob({ type: "jobs-started", workers: ["w"], jobs: [1, 1, 1, at, 1, 1, 100] }, () => undefined)).toThrow(/worker 1 of 1/);
    expect(() => forEachCompletedJob({ type: "jobs-completed", jobs: [1, 1, 1, at, 0, 1], results: [] }, () => undefined)).toThrow(/more results/);
    expect(() => forEachCompletedJob({ type: "jobs-completed", jobs: [1, 1, 1, at, 0, 0], results: [1] }, () => undefined)).toThrow(/holds 1 results but flags 0/);
  });
});
