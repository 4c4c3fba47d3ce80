// Runs of pending jobs alike become one record each, and nothing else changes: every other
// record keeps its place, and expanding a run gives back the jobs that went into it.
import { describe, expect, it } from "vitest";
import { forEachPendingJob, JournalRecord, type JobSnapshot, type PendingJobs } from "@djq/protocol";
import { jobsIn, MAX_RUN_JOBS, withPendingRuns } from "./pending-runs.js";

const at = 1_700_000_000_000;

function pending(jobId: number, spec: JobSnapshot["spec"] = {}, extra: Partial<JobSnapshot> = {}): JobSnapshot {
  return { type: "job", jobId, spec, submittedAt: at + Math.floor(jobId / 3), state: "pending", attempts: 0, order: jobId + 10, history: [], ...extra };
}

/** The jobs a run stands for, as the job records they replaced. */
function expand(run: PendingJobs): JobSnapshot[] {
  const jobs: JobSnapshot[] = [];
  const payload = run.payloadBytes === undefined ? {} : { payloadBytes: run.payloadBytes };
  forEachPendingJob(run.jobs, (jobId, order, submittedAt) => {
    jobs.push({ type: "job", jobId, spec: run.spec, submittedAt, state: "pending", attempts: 0, order, history: [], ...payload });
  });
  return jobs;
}

const grouped = (records: JournalRecord[]) => [...withPendingRuns(records)];

describe("runs of pending jobs", () => {
  it("writes consecutive pending jobs of one spec as one record that gives them back exactly", () => {
    const jobs = [pending(1, { payload: { a: 1 } }), pending(2, { payload: { a: 1 } }), pending(5, { payload: { a: 1 } }), pending(4, { payload: { a: 1 } })];
    const [run, ...rest] = grouped(jobs);
    expect(rest).toEqual([]);
    expect(run?.type).toBe("pending-jobs");
    const parsed = JournalRecord.parse(JSON.parse(JSON.stringify(run))) as PendingJobs;
    expect(expand(parsed)).toEqual(jobs);
    expect(jobsIn(parsed)).toBe(4);
  });

  it("starts a new run where the spec or the payload's size changes, and keeps a job alone as a job record", () => {
    const records = [pending(1), pending(2), pending(3, { queue: "q" }), pending(4), pending(5, {}, { payloadBytes: 7 }), pending(6, {}, { payloadBytes: 7 })];
    const out = grouped(records);
    expect(out.map((r) => `${r.type}:${jobsIn(r)}`)).toEqual(["pending-jobs:2", "job:1", "job:1", "pending-jobs:2"]);
    expect(out.flatMap((r) => (r.type === "pending-jobs" ? expand(r) : [r]))).toEqual(records);
  });

  it("leaves every job that ran, waits or carries an error as it was, in its place between runs", () => {
    const requeued = pending(3, {}, { attempts: 1, history: [{ attempt: 1, lease: 4, workerId: "w", startedAt: at, endedAt: at + 1, outcome: "failed", error: "boom" }], error: "boom" });
    const delayed: JobSnapshot = { ...pending(4), state: "delayed", runAt: at + 9 };
    delete delayed.order;
    const key: JournalRecord = { type: "key", key: "k", jobIds: [1, 2], at };
    const records: JournalRecord[] = [pending(1), pending(2), requeued, delayed, key, pending(5), pending(6)];
    const out = grouped(records);
    expect(out.map((r) => r.type)).toEqual(["pending-jobs", "job", "job", "key", "pending-jobs"]);
    expect(out.slice(1, 4)).toEqual([requeued, delayed, key]);
  });

  it(`holds at most ${MAX_RUN_JOBS} jobs in one record`, () => {
    const out = grouped(Array.from({ length: MAX_RUN_JOBS + 2 }, (_, i) => pending(i + 1)));
    expect(out.map(jobsIn)).toEqual([MAX_RUN_JOBS, 2]);
  });
});
