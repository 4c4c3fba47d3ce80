import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WatchRegistry, type SettledJob } from "./watch-registry.js";

/** `DJQ_SEED=… pnpm test` replays a failing property run; fast-check prints the seed on failure. */
const propertyOptions = process.env.DJQ_SEED === undefined ? {} : { seed: Number(process.env.DJQ_SEED) };

describe("WatchRegistry", () => {
  it("keeps a settled push that came before the ids were registered", async () => {
    const registry = new WatchRegistry();
    registry.recordSettled({ jobId: 1, state: "completed" }, "run-1");
    registry.watch([1, 2], "run-1");
    expect(registry.unsettled("run-1")).toEqual([2]);
    const handle = registry.wait([1]);
    expect(handle.unknown).toEqual([]);
    expect([...(await handle.done).values()]).toEqual([{ jobId: 1, state: "completed" }]);
  });

  it("ignores a push whose state is not a settled one", () => {
    const registry = new WatchRegistry();
    registry.watch([1], "run-1");
    registry.recordSettled({ jobId: 1, state: "running" }, "run-1");
    expect(registry.unsettled("run-1")).toEqual([1]);
  });

  it("names the ids it knows nothing about, so the caller can watch them", () => {
    const registry = new WatchRegistry();
    registry.watch([1], "run-1");
    expect(registry.wait([1, 2, 2, 3]).unknown).toEqual([2, 3]);
  });

  it("rejects waiters of a lost run and rejects later waits on those ids at once", async () => {
    const registry = new WatchRegistry();
    registry.watch([1, 2], "run-1");
    registry.watch([3], "run-2");
    const first = registry.wait([1, 3]).done;
    expect(registry.loseRun("run-1", (jobId) => new Error(`lost ${jobId}`))).toBe(2);
    await expect(first).rejects.toThrow("lost 1");
    await expect(registry.wait([2]).done).rejects.toThrow("lost 2");
    expect(registry.unsettled("run-2")).toEqual([3]);
  });

  it("drops the oldest records past its bound, so a later wait watches the id again", () => {
    const registry = new WatchRegistry(2);
    for (const jobId of [1, 2, 3]) registry.recordSettled({ jobId, state: "completed" }, "run-1");
    expect(registry.wait([1, 2, 3]).unknown).toEqual([1]);
  });

  it("does not mistake an old run's result for a new job that reused its id", () => {
    const registry = new WatchRegistry();
    registry.recordSettled({ jobId: 1, state: "completed" }, "run-1");
    registry.watch([1], "run-2");
    expect(registry.unsettled("run-2")).toEqual([1]);
  });

  it("agrees with a plain model of watch, settle, lose and wait over any sequence", async () => {
    const id = fc.integer({ min: 1, max: 6 });
    const run = fc.constantFrom("run-1", "run-2");
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("watch" as const), ids: fc.array(id, { maxLength: 4 }), run }),
      fc.record({ kind: fc.constant("settle" as const), id, run, state: fc.constantFrom("completed", "failed", "running") }),
      fc.record({ kind: fc.constant("lose" as const), id }),
      fc.record({ kind: fc.constant("wait" as const), ids: fc.array(id, { maxLength: 4 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
        const registry = new WatchRegistry();
        // The model: what is watched (under which run), and how each finished job ended.
        const watching = new Map<number, string>();
        const finished = new Map<number, { job: SettledJob; run: string } | { lost: Error }>();
        // Each wait as the model expects it to end, and as it did end.
        const waits: { ids: number[]; remaining: Set<number>; expected: unknown; actual: unknown; results: Map<number, SettledJob> }[] = [];
        const settleWaits = (jobId: number, end: { job: SettledJob } | { lost: Error }) => {
          for (const wait of waits) {
            if (wait.expected !== "pending" || !wait.remaining.has(jobId)) continue;
            if ("lost" in end) {
              wait.expected = end.lost;
              continue;
            }
            wait.results.set(jobId, end.job);
            wait.remaining.delete(jobId);
            if (wait.remaining.size === 0) wait.expected = wait.results;
          }
        };
        for (const op of operations) {
          if (op.kind === "watch") {
            registry.watch(op.ids, op.run);
            for (const jobId of op.ids) {
              const end = finished.get(jobId);
              if (end !== undefined && "job" in end && end.run === op.run) continue;
              finished.delete(jobId);
              watching.set(jobId, op.run);
            }
          } else if (op.kind === "settle") {
            registry.recordSettled({ jobId: op.id, state: op.state }, op.run);
            if (op.state === "running") continue;
            watching.delete(op.id);
            const job: SettledJob = { jobId: op.id, state: op.state as SettledJob["state"] };
            finished.set(op.id, { job, run: op.run });
            settleWaits(op.id, { job });
          } else if (op.kind === "lose") {
            const error = new Error(`lost ${op.id}`);
            registry.lose(op.id, error);
            watching.delete(op.id);
            finished.set(op.id, { lost: error });
            settleWaits(op.id, { lost: error });
          } else {
            const unique = [...new Set(op.ids)];
            const isLost = (jobId: number) => {
              const end = finished.get(jobId);
              return end !== undefined && "lost" in end;
            };
            const lostAt = unique.findIndex(isLost);
            const handle = registry.wait(op.ids);
            const expectedUnknown = lostAt >= 0 ? [] : unique.filter((jobId) => !finished.has(jobId) && !watching.has(jobId));
            expect(handle.unknown).toEqual(expectedUnknown);
            const wait = {
              ids: unique,
              remaining: new Set<number>(),
              expected: "pending" as unknown,
              actual: "pending" as unknown,
              results: new Map<number, SettledJob>(),
            };
            for (const jobId of lostAt >= 0 ? [] : unique) {
              const end = finished.get(jobId);
              if (end !== undefined && "job" in end) wait.results.set(jobId, end.job);
              else wait.remaining.add(jobId);
            }
            if (lostAt >= 0) wait.expected = (finished.get(unique[lostAt] as number) as { lost: Error }).lost;
            else if (wait.remaining.size === 0) wait.expected = wait.results;
            handle.done.then((results) => (wait.actual = results), (error: unknown) => (wait.actual = error));
            waits.push(wait);
          }
          for (const runId of ["run-1", "run-2"]) {
            expect(new Set(registry.unsettled(runId))).toEqual(new Set([...watching].filter(([, r]) => r === runId).map(([jobId]) => jobId)));
          }
          expect(registry.unsettledCount).toBe(watching.size);
        }
        // Every wait ended as the model says: resolved with its jobs in the order first named,
        // rejected with the first lost job's error, or still pending.
        await new Promise((resolve) => setImmediate(resolve));
        for (const wait of waits) {
          if (wait.expected instanceof Map) {
            expect(wait.actual).toBeInstanceOf(Map);
            const order = [...(wait.actual as Map<number, SettledJob>).keys()];
            expect(order).toEqual(wait.ids);
            expect(Object.fromEntries(wait.actual as Map<number, SettledJob>)).toEqual(Object.fromEntries(wait.results));
          } else expect(wait.actual).toBe(wait.expected);
        }
      }),
      { numRuns: 2000, ...propertyOptions },
    );
  });
});
