// Random runs of leases, completions, failures, releases, cancels, lost workers and submissions,
// with the changes taken after every call as the shell takes them and a snapshot cut at a random
// step but written steps later (as compaction writes it while the queue runs): the core restored
// from every record, and the one restored from the snapshot and the records after its cut, both
// equal the live core, field by field. DJQ_SEED=… pnpm test replays a failing run.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JournalRecord } from "@djq/protocol";
import type { CoreConfig } from "./core-config.js";
import type { QueueCore } from "./queue-core.js";
import { newCore } from "./test-support/core-harness.js";
import { fullState, restartFrom } from "./test-support/restore-harness.js";

const config: Partial<CoreConfig> = { heartbeatTimeoutMs: 1_000, defaultTimeoutMs: 2_000, defaultMaxAttempts: 3, retry: { baseMs: 100, maxMs: 500 } };
const propertyOptions = { numRuns: 60, ...(process.env.DJQ_SEED === undefined ? {} : { seed: Number(process.env.DJQ_SEED) }) };

type Step =
  | { kind: "submit"; count: number; payload: boolean }
  | { kind: "fetch"; worker: string; max: number }
  | { kind: "complete" | "fail" | "release"; worker: string; pick: number; result: boolean }
  | { kind: "cancel"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "cut" }
  | { kind: "write-snapshot" };

const worker = fc.constantFrom("w0", "w1");
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("submit" as const), count: fc.integer({ min: 1, max: 4 }), payload: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("fetch" as const), worker, max: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("complete" as const), worker, pick: fc.nat(), result: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("fail" as const, "release" as const), worker, pick: fc.nat(), result: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "cut" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "write-snapshot" as const }) },
);

/** The running jobs `workerId` holds, by id. */
function heldBy(core: QueueCore, workerId: string) {
  return [...core.allJobs()].filter((job) => job.state === "running" && job.worker?.id === workerId).sort((a, b) => a.id - b.id);
}

describe("the core restored from its records under random runs", () => {
  it("equals the live core, from every record and from a snapshot written after its cut plus the records after the cut", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const core = newCore({ ...config, recordChanges: true });
        const log: JournalRecord[] = [];
        let now = 0;
        let cut: { at: number; snapshot: ReturnType<QueueCore["snapshot"]> } | undefined;
        let snapshot: { records: JournalRecord[]; tailFrom: number } | undefined;
        for (const s of steps) {
          now += 1;
          // Workers stay alive unless a step lets time pass.
          for (const id of ["w0", "w1"]) if (core.workerList().some((w) => w.id === id)) core.touchWorker(now, id);
          switch (s.kind) {
            case "submit":
              core.submit(now, Array.from({ length: s.count }, (_, i) => (s.payload ? { payload: { i } } : {})), { payloadBytes: Array.from({ length: s.count }, () => (s.payload ? 7 : 0)) });
              break;
            case "fetch":
              if (!core.workerList().some((w) => w.id === s.worker)) core.connectWorker(now, s.worker, ["default"]);
              core.fetch(now, s.worker, `${s.worker}:${now}`, s.max);
              break;
            case "complete":
            case "fail":
            case "release": {
              const held = heldBy(core, s.worker);
              const job = held[s.pick % Math.max(1, held.length)];
              if (job === undefined) break;
              const item = { jobId: job.id, lease: job.lease };
              if (s.kind === "complete") core.complete(now, s.worker, [s.result ? { ...item, result: { at: now } } : item], s.result ? [10] : undefined);
              else if (s.kind === "fail") core.fail(now, s.worker, [{ ...item, error: "boom" }]);
              else core.release(now, s.worker, [item]);
              break;
            }
            case "cancel": {
              const jobs = [...core.allJobs()];
              const job = jobs[s.pick % Math.max(1, jobs.length)];
              if (job !== undefined) core.cancel(now, job.id);
              break;
            }
            case "advance":
              now += s.ms;
              core.advance(now);
              break;
            case "cut":
              if (cut === undefined && snapshot === undefined) cut = { at: log.length, snapshot: core.snapshot() };
              break;
            case "write-snapshot":
              if (cut !== undefined) snapshot = { records: materialize(cut.snapshot, cut.at), tailFrom: cut.at };
              cut = undefined;
              break;
          }
          log.push(...core.takeChanges());
          core.takeEffects();
        }
        if (cut !== undefined) snapshot = { records: materialize(cut.snapshot, cut.at), tailFrom: cut.at };
        // Leases past their time are handled first, so a running job's lease runs beyond `now`
        // and a restore with no grace window keeps it as the live core does.
        now += 1;
        core.advance(now);
        log.push(...core.takeChanges());
        const live = fullState(core);
        expect(fullState(restartFrom(log, now, 0, config))).toEqual(live);
        if (snapshot !== undefined) expect(fullState(restartFrom([...snapshot.records, ...log.slice(snapshot.tailFrom)], now, 0, config))).toEqual(live);
      }),
      propertyOptions,
    );
  });
});

/** The snapshot's records, encoded now (as compaction encodes them, after the cut). */
function materialize(snap: ReturnType<QueueCore["snapshot"]>, nextSeq: number): JournalRecord[] {
  const header: JournalRecord = {
    type: "snapshot",
    at: 0,
    queueId: "q",
    run: 1,
    lastJobId: snap.lastJobId,
    lastLease: snap.lastLease,
    lastOrder: snap.lastOrder,
    lastListOrder: snap.lastListOrder,
    nextSeq: nextSeq + 1,
    pausedQueues: snap.pausedQueues,
    totals: snap.totals,
  };
  return [header, ...snap.records];
}
