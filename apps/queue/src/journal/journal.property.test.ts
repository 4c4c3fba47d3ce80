// Random runs of the whole file layer: turns of submissions and completions, compactions in
// between, and at the end a crash in the middle of a write that was never acknowledged. After
// recovery the live jobs are exactly the acknowledged ones, whatever the interleaving.
// `DJQ_SEED=… pnpm test` replays a failing run; fast-check prints the seed.
import { appendFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachPendingJob, type JobSnapshot, type JournalRecord } from "@djq/protocol";
import { Compactor } from "./compaction.js";
import { JournalAppender } from "./journal-appender.js";
import { encodeRecord } from "./record-frame.js";
import { appenderOptions, at, completed, keptLog, replay, submitted, temporaryDirectory } from "./test-support/journal-fixtures.js";

const propertyOptions = { numRuns: 25, ...(process.env.DJQ_SEED === undefined ? {} : { seed: Number(process.env.DJQ_SEED) }) };

/** `completes` picks live jobs by position, so any of them, old or new, may finish. */
type Step = { kind: "turn"; submits: number; completes: number[] } | { kind: "compact" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("turn" as const), submits: fc.integer({ min: 0, max: 6 }), completes: fc.array(fc.nat(), { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "compact" as const }) },
);

/** The live jobs the records describe: a submission adds one, a completion removes it. */
function liveJobs(records: readonly JournalRecord[]): number[] {
  const live = new Set<number>();
  for (const record of records) {
    if (record.type === "pending-jobs") forEachPendingJob(record.jobs, (jobId) => void live.add(jobId));
    if (record.type !== "job") continue;
    if (record.state === "completed") live.delete(record.jobId);
    else live.add(record.jobId);
  }
  return [...live].sort((a, b) => a - b);
}

function snapshotOf(jobId: number): JobSnapshot {
  return { type: "job", jobId, spec: {}, submittedAt: at, state: "pending", attempts: 0, order: jobId, history: [] };
}

describe("the journal under random runs", () => {
  it("recovers exactly the acknowledged live jobs after compactions and a torn last write", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), async (steps, tornFraction) => {
        const { dir, remove } = await temporaryDirectory();
        try {
          const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), { segmentBytes: 2_000 }));
          const compactor = new Compactor(appender, { dir, maxRecordBytes: 1 << 20, minSegmentBytes: 0, log: keptLog() }, 0, 0);
          const live = new Set<number>();
          let lastJobId = 0;
          for (const s of steps) {
            if (s.kind === "compact") {
              const compacted = await compactor.compact(() => ({
                header: { at, queueId: "q", run: 1, lastJobId, lastLease: 0, lastOrder: lastJobId, pausedQueues: [] },
                records: [...live].map(snapshotOf),
              }));
              expect(compacted.ok).toBe(true);
              continue;
            }
            const turn: Promise<unknown>[] = [];
            for (let i = 0; i < s.submits; i += 1) {
              lastJobId += 1;
              live.add(lastJobId);
              turn.push(appender.append(submitted(lastJobId)));
            }
            for (const pick of s.completes) {
              if (live.size === 0) break;
              const jobId = [...live][pick % live.size] as number;
              live.delete(jobId);
              turn.push(appender.append(completed(jobId)));
            }
            for (const durable of await Promise.all(turn)) expect(durable).toEqual({ ok: true });
          }
          await appender.close();
          // The crash: part of one more record reached the newest segment, and nobody heard back.
          const segments = (await readdir(dir)).filter((name) => name.startsWith("segment-")).sort();
          const unacknowledged = encodeRecord(appender.seq, submitted(lastJobId + 1));
          const torn = unacknowledged.subarray(0, Math.floor(tornFraction * (unacknowledged.length - 1)));
          await appendFile(join(dir, segments[segments.length - 1] as string), torn);

          const { records, log } = await replay(dir);
          expect(liveJobs(records)).toEqual([...live].sort((a, b) => a - b));
          expect(log.events("journal.torn-tail")).toHaveLength(torn.length > 0 ? 1 : 0);
        } finally {
          await remove();
        }
      }),
      propertyOptions,
    );
  });
});
