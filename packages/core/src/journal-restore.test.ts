// The core rebuilt from the changes it reported is the core that reported them: every job in the
// same state, place in line, lease and history; keys and pauses kept; ids and leases continuing;
// running jobs held for their workers through the grace window and requeued after it.
import { describe, expect, it } from "vitest";
import type { JournalRecord } from "@djq/protocol";
import type { QueueCore } from "./queue-core.js";
import { jobView } from "./views.js";
import { connect, fetchJobs, ids, newCore, ok, stateOf, submit, take } from "./test-support/core-harness.js";
import { fullState, restartFrom } from "./test-support/restore-harness.js";

const GRACE_MS = 5_000;

function recorded(): QueueCore {
  return newCore({ recordChanges: true, heartbeatTimeoutMs: 800 });
}

function restart(records: JournalRecord[], now: number, firstLease = 1): QueueCore {
  return restartFrom(records, now, GRACE_MS, { heartbeatTimeoutMs: 800, firstLease });
}

function views(core: QueueCore) {
  return [...core.allJobs()].map(jobView).sort((a, b) => a.jobId - b.jobId);
}


/** The kinds of the job records among `records` (each event that changed totals also gives a `totals` record). */
function jobKinds(records: readonly JournalRecord[]): string[] {
  return records.filter((record) => record.type !== "totals").map((record) => record.type);
}
/** One job submitted, leased and completed, each event's records taken on its own. */
function oneJobRecorded(core: QueueCore): { submitted: JournalRecord[]; started: JournalRecord[]; completed: JournalRecord[] } {
  const [job] = submit(core, 0, 1);
  const submitted = core.takeChanges();
  connect(core, 1, "w1");
  const [assignment] = fetchJobs(core, 2, "w1", 1);
  const started = core.takeChanges();
  expect(core.complete(3, "w1", [{ jobId: job!, lease: assignment!.lease }])).toEqual([]);
  return { submitted, started, completed: core.takeChanges() };
}

describe("restoring the core from its change log", () => {
  it("rebuilds pending, delayed, running and settled jobs, keys with their body digests, listing places and pauses as they stood", () => {
    const core = recorded();
    const log: JournalRecord[] = [];
    const [a, b, c] = submit(core, 0, 3);
    submit(core, 1, [{ delayMs: 60_000 }]);
    const keyed = submit(core, 2, [{ payload: "k" }], { key: "key-1", bodyDigest: "digest-1" });
    connect(core, 3, "w1");
    const [running] = fetchJobs(core, 4, "w1", 1);
    const [done] = fetchJobs(core, 5, "w1", 1);
    expect(core.complete(6, "w1", [{ jobId: done!.jobId, lease: done!.lease, result: { ok: 1 } }])).toEqual([]);
    ok(core.cancel(7, c!));
    ok(core.pause(8, "paused-queue", true));
    ok(core.pause(8, "undone-queue", true));
    ok(core.resume(8, "undone-queue"));
    log.push(...core.takeChanges());
    take(core);

    const next = restart(log, 10);
    expect(views(next)).toEqual(views(core));
    for (const state of ["pending", "delayed", "running", "completed", "cancelled"] as const) {
      expect(ok(next.list(10, { state }))).toEqual(ok(core.list(10, { state })));
    }
    expect([next.lastOrder, next.lastListOrder]).toEqual([core.lastOrder, core.lastListOrder]);
    expect(next.submit(11, [{ payload: "other" }], { key: "key-1", bodyDigest: "digest-2" })).toMatchObject({ ok: false, code: "key-conflict" });
    expect(ok(next.submit(11, [{ payload: "again" }], { key: "key-1", bodyDigest: "digest-1" }))).toEqual(keyed);
    expect(next.queueList().map((q) => q.name)).not.toContain("undone-queue");
    expect(next.queueList().find((q) => q.name === "paused-queue")?.paused).toBe(true);
    expect(submit(next, 12, 1)[0]).toBe((keyed[0] as number) + 1);
    expect([running!.jobId, done!.jobId]).toEqual([a, b]);
    expect([a, b, c].map((id) => stateOf(next, id!))).toEqual(["running", "completed", "cancelled"]);
  });

  it("lets the worker that held a job before the restart keep its lease and complete it within the grace window", () => {
    const core = recorded();
    submit(core, 0, 2);
    connect(core, 0, "w1");
    const [job] = fetchJobs(core, 1, "w1", 1);
    const next = restart(core.takeChanges(), 100);
    expect(connect(next, 200, "w1", ["default"], [{ jobId: job!.jobId, lease: job!.lease }])).toBe(true);
    expect(next.complete(300, "w1", [{ jobId: job!.jobId, lease: job!.lease }])).toEqual([]);
    expect(stateOf(next, job!.jobId)).toBe("completed");
    const [second] = fetchJobs(next, 301, "w1", 1);
    expect(second!.lease).toBeGreaterThan(job!.lease);
  });

  it("requeues a job whose worker does not come back within the grace window, at its old place", () => {
    const core = recorded();
    const [first] = submit(core, 0, 3);
    connect(core, 0, "w1");
    fetchJobs(core, 1, "w1", 1);
    const next = restart(core.takeChanges(), 100);
    next.advance(100 + GRACE_MS - 1);
    expect(stateOf(next, first!)).toBe("running");
    next.advance(100 + GRACE_MS);
    expect(stateOf(next, first!)).toBe("pending");
    connect(next, 100 + GRACE_MS, "w2");
    expect(ids(fetchJobs(next, 100 + GRACE_MS, "w2", 1))).toEqual([first]);
  });

  it("starts leases at the run's floor when it is above every recorded lease", () => {
    const core = recorded();
    submit(core, 0, 1);
    connect(core, 0, "w1");
    const [job] = fetchJobs(core, 1, "w1", 1);
    const next = restart(core.takeChanges(), 100, 1_000_000);
    connect(next, 101, "w2");
    next.disconnectWorker(102, "w1", "gone");
    const [again] = fetchJobs(next, 103, "w2", 1);
    expect(again!.jobId).toBe(job!.jobId);
    expect(again!.lease).toBe(1_000_000);
  });

  it("records nothing without recordChanges", () => {
    const core = newCore();
    submit(core, 0, 3);
    expect(core.takeChanges()).toEqual([]);
  });

  it("rebuilds from a snapshot plus the changes after it the same state as from every change", () => {
    const core = recorded();
    submit(core, 0, 5, { key: "k" });
    connect(core, 0, "w1");
    fetchJobs(core, 1, "w1", 2);
    const before = core.takeChanges();
    const snap = core.snapshot();
    const snapshotRecords: JournalRecord[] = [
      { type: "snapshot", at: 2, queueId: "q", run: 1, lastJobId: snap.lastJobId, lastLease: snap.lastLease, lastOrder: snap.lastOrder, nextSeq: 1, pausedQueues: snap.pausedQueues },
      ...snap.records,
    ];
    ok(core.cancel(3, 5));
    const tail = core.takeChanges();
    expect(views(restart([...snapshotRecords, ...tail], 10))).toEqual(views(restart([...before, ...tail], 10)));
  });

  it("carries the statistics totals across a restore, from every change or from a snapshot and the changes after it", () => {
    const core = recorded();
    const log: JournalRecord[] = [];
    const step = (change: () => unknown) => {
      change();
      log.push(...core.takeChanges());
    };
    const [, , c, d] = submit(core, 0, 4);
    log.push(...core.takeChanges());
    connect(core, 1, "w1");
    const [first, second] = fetchJobs(core, 2, "w1", 2);
    log.push(...core.takeChanges());
    step(() => core.complete(3, "w1", [{ jobId: first!.jobId, lease: first!.lease }]));
    // A refused stale report changes the totals and nothing else: it is still recorded.
    const staleBefore = log.length;
    step(() => core.complete(4, "w1", [{ jobId: first!.jobId, lease: first!.lease }]));
    expect(log.slice(staleBefore)).toEqual([{ type: "totals", staleRefused: 1 }]);
    step(() => ok(core.cancel(5, c!)));
    step(() => ok(core.retry(6, c!)));
    const snap = core.snapshot();
    const snapshotRecords: JournalRecord[] = [
      { type: "snapshot", at: 7, queueId: "q", run: 1, lastJobId: snap.lastJobId, lastLease: snap.lastLease, lastOrder: snap.lastOrder, nextSeq: 1, pausedQueues: snap.pausedQueues, totals: snap.totals },
      ...snap.records,
    ];
    const tail: JournalRecord[] = [];
    step(() => core.fail(8, "w1", [{ jobId: second!.jobId, lease: second!.lease, error: "no", permanent: true }]));
    tail.push(...log.slice(log.length - 1));
    step(() => ok(core.cancel(9, d!)));
    tail.push(...log.slice(log.length - 1));
    expect(core.totals).toMatchObject({ submitted: 4, completed: 1, failed: 1, cancelled: 2, retried: 1, staleRefused: 1 });
    expect(restart(log, 10).totals).toEqual(core.totals);
    expect(restart([...snapshotRecords, ...tail], 10).totals).toEqual(core.totals);
  });

  it("leaves out the totals a submission or a completion implies, and counts them back from the job records", () => {
    const core = recorded();
    const { submitted, started, completed } = oneJobRecorded(core);
    expect([submitted, started, completed].map((records) => records.map((record) => record.type))).toEqual([["job"], ["jobs-started"], ["jobs-completed"]]);
    expect(restart([...submitted, ...started, ...completed], 10).totals).toEqual({ ...core.totals, submitted: 1, completed: 1 });
  });

  it("takes what a totals record says over what it counted, as a journal that recorded every change of the totals has it", () => {
    const core = recorded();
    const { submitted, started, completed } = oneJobRecorded(core);
    const everyChange: JournalRecord[] = [...submitted, { type: "totals", submitted: 1 }, ...started, ...completed, { type: "totals", completed: 1 }];
    expect(restart(everyChange, 10).totals).toEqual(core.totals);
  });

  it("pages through jobs settled in the same millisecond in the order they settled, cursor included", () => {
    const core = recorded();
    const [first, second] = submit(core, 0, 2);
    ok(core.cancel(5, second!));
    ok(core.cancel(5, first!));
    const next = restart(core.takeChanges(), 10);
    const firstPage = ok(next.list(10, { state: "cancelled", limit: 1 }));
    const secondPage = ok(next.list(10, { state: "cancelled", limit: 1, after: firstPage.next! }));
    expect([...firstPage.jobs, ...secondPage.jobs].map((job) => job.jobId)).toEqual([second, first]);
  });

  it("rebuilds jobs written as one run of pending jobs as it would from their job records, a later record of one of them winning", () => {
    const core = recorded();
    submit(core, 0, [{ queue: "bulk", payload: { n: 1 } }, { queue: "bulk", payload: { n: 1 } }, { queue: "bulk", payload: { n: 1 } }]);
    const records = core.takeChanges();
    const jobs = records.filter((r) => r.type === "job");
    expect(jobs.map((j) => j.state)).toEqual(["pending", "pending", "pending"]);
    const first = jobs[0]!;
    const deltas = jobs.flatMap((job, i) => {
      const before = i === 0 ? { jobId: 0, order: 0, submittedAt: 0 } : { ...jobs[i - 1]!, order: jobs[i - 1]!.order ?? 0 };
      return [job.jobId - before.jobId, (job.order ?? 0) - before.order, job.submittedAt - before.submittedAt];
    });
    const run: JournalRecord = { type: "pending-jobs", spec: first.spec, payloadBytes: first.payloadBytes, jobs: deltas };
    const others = records.filter((r) => r.type !== "job");
    take(core);
    expect(views(restart([run, ...others], 10))).toEqual(views(core));

    ok(core.cancel(11, first.jobId));
    const cancelled = core.takeChanges();
    take(core);
    expect(views(restart([run, ...others, ...cancelled], 12))).toEqual(views(core));
  });

  it("writes a turn's leases and its completions as one jobs-started and one jobs-completed record, and rebuilds every field from them", () => {
    const core = recorded();
    const log: JournalRecord[] = [];
    submit(core, 0, [{ payload: "a", maxAttempts: 3 }, { payload: "b" }, { payload: "c" }, {}]);
    log.push(...core.takeChanges());
    connect(core, 1, "w1");
    connect(core, 1, "w2");
    const first = [...fetchJobs(core, 2, "w1", 2), ...fetchJobs(core, 3, "w2", 2)];
    const leases = core.takeChanges();
    expect(jobKinds(leases)).toEqual(["jobs-started"]);
    log.push(...leases);
    const [a, b, c] = first;
    expect(core.complete(4, "w1", [{ jobId: b!.jobId, lease: b!.lease, result: { n: 2 } }], [7])).toEqual([]);
    expect(core.complete(5, "w2", [{ jobId: c!.jobId, lease: c!.lease }])).toEqual([]);
    expect(core.fail(5, "w1", [{ jobId: a!.jobId, lease: a!.lease, error: "try again" }])).toEqual([]);
    const ends = core.takeChanges();
    expect(jobKinds(ends).sort()).toEqual(["job", "jobs-completed"]);
    log.push(...ends);
    take(core);
    // w1 and w2 fall silent: d goes back in line, a's retry comes due; each a whole record.
    core.advance(60_000);
    log.push(...core.takeChanges());
    connect(core, 60_001, "w3");
    const again = fetchJobs(core, 60_002, "w3", 2);
    expect(again.map((job) => job.attempt).sort()).toEqual([2, 2]);
    log.push(...core.takeChanges());
    expect(log.at(-1)?.type).toBe("jobs-started");
    take(core);

    expect(fullState(restart(log, 10))).toEqual(fullState(core));
    const next = restart(log, 10);
    for (const state of ["running", "completed"] as const) expect(ok(next.list(10, { state }))).toEqual(ok(core.list(10, { state })));

    // A completion clears the error an earlier attempt left.
    expect(core.complete(60_003, "w3", again.map((job) => ({ jobId: job.jobId, lease: job.lease, result: job.jobId })))).toEqual([]);
    const last = core.takeChanges();
    expect(jobKinds(last)).toEqual(["jobs-completed"]);
    take(core);
    expect(fullState(restart([...log, ...last], 60_010))).toEqual(fullState(core));
  });

  it("writes a job submitted to a waiting worker as the job submitted and its lease, not whole, and rebuilds it running", () => {
    const core = recorded();
    connect(core, 0, "w1");
    expect(fetchJobs(core, 1, "w1", 2)).toEqual([]);
    const [a, b] = submit(core, 2, [{ payload: { n: 1 } }, { payload: { n: 2 } }, { payload: { n: 3 } }]);
    const records = core.takeChanges();
    expect(jobKinds(records)).toEqual(["job", "job", "job", "jobs-started"]);
    const jobs = records.filter((record) => record.type === "job");
    expect(jobs.map((job) => [job.state, job.attempts, job.history.length, job.lease])).toEqual([
      ["pending", 0, 0, undefined],
      ["pending", 0, 0, undefined],
      ["pending", 0, 0, undefined],
    ]);
    take(core);
    expect([a, b].map((id) => stateOf(core, id!))).toEqual(["running", "running"]);
    expect(fullState(restart(records, 3))).toEqual(fullState(core));
  });

  it("gives a job changed more than once since its last record the whole record", () => {
    const core = recorded();
    const [job] = submit(core, 0, 1);
    expect(jobKinds(core.takeChanges())).toEqual(["job"]);
    connect(core, 1, "w1");
    const [assignment] = fetchJobs(core, 2, "w1", 1);
    expect(core.complete(2, "w1", [{ jobId: job!, lease: assignment!.lease }])).toEqual([]);
    const records = core.takeChanges().filter((record) => record.type !== "totals");
    expect(records).toMatchObject([{ type: "job", jobId: job, state: "completed" }]);
  });

  it("comes to the live state from a snapshot written after the leases and completions that follow its cut", () => {
    const core = recorded();
    submit(core, 0, 4);
    connect(core, 0, "w1");
    core.takeChanges();
    const snap = core.snapshot();
    const header: JournalRecord = { type: "snapshot", at: 1, queueId: "q", run: 1, lastJobId: snap.lastJobId, lastLease: snap.lastLease, lastOrder: snap.lastOrder, lastListOrder: snap.lastListOrder, nextSeq: 1, pausedQueues: snap.pausedQueues, totals: snap.totals };
    const tail: JournalRecord[] = [];
    const [x, y] = fetchJobs(core, 2, "w1", 3);
    tail.push(...core.takeChanges());
    expect(core.complete(3, "w1", [{ jobId: x!.jobId, lease: x!.lease, result: "done" }, { jobId: y!.jobId, lease: y!.lease }], [6, 0])).toEqual([]);
    tail.push(...core.takeChanges());
    take(core);
    // The snapshot's jobs are encoded only now, as they stand after the whole tail.
    const records = [header, ...snap.records];
    expect(jobKinds(tail)).toEqual(["jobs-started", "jobs-completed"]);
    expect(fullState(restart([...records, ...tail], 10))).toEqual(fullState(core));
  });

  it("refuses a jobs-started or jobs-completed record naming a job or an attempt the journal does not hold", () => {
    const core = recorded();
    submit(core, 0, 2);
    const submitted = core.takeChanges();
    connect(core, 0, "w1");
    const [job] = fetchJobs(core, 1, "w1", 1);
    const started = core.takeChanges();
    expect(core.complete(2, "w1", [{ jobId: job!.jobId, lease: job!.lease }])).toEqual([]);
    const completed = core.takeChanges();
    expect(() => restart([...started], 10)).toThrow(`a jobs-started record names job ${job!.jobId}, which the journal does not hold`);
    expect(() => restart([...submitted, ...completed], 10)).toThrow(`completes job ${job!.jobId} under lease ${job!.lease}, an attempt the journal does not hold`);

    // All or nothing: a record whose second job is missing leaves its first job as it was.
    const next = newCore({ recordChanges: true });
    for (const record of submitted) expect(next.restore(record)).toBeUndefined();
    const stray: JournalRecord = { type: "jobs-started", workers: ["w1"], jobs: [1, 50, 1, 5, 1, 0, 1_000, 98, 1, 1, 0, 1, 0, 1_000] };
    expect(next.restore(stray)).toBe("a jobs-started record names job 99, which the journal does not hold");
    next.finishRestore(10, GRACE_MS);
    expect(stateOf(next, 1)).toBe("pending");
  });
});
