import { describe, expect, it } from "vitest";
import { WatchRegistry } from "./watch-registry.js";

describe("WatchRegistry", () => {
  it("keeps a settled push that came before the ids were registered", async () => {
    const registry = new WatchRegistry();
    registry.settle({ jobId: 1, state: "completed" }, "run-1");
    registry.watch([1, 2], "run-1");
    expect(registry.unsettled("run-1")).toEqual([2]);
    const handle = registry.wait([1]);
    expect(handle.unknown).toEqual([]);
    expect([...(await handle.done).values()]).toEqual([{ jobId: 1, state: "completed" }]);
  });

  it("ignores a push whose state is not a settled one", () => {
    const registry = new WatchRegistry();
    registry.watch([1], "run-1");
    registry.settle({ jobId: 1, state: "running" }, "run-1");
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
    for (const jobId of [1, 2, 3]) registry.settle({ jobId, state: "completed" }, "run-1");
    expect(registry.wait([1, 2, 3]).unknown).toEqual([1]);
  });

  it("does not mistake an old run's result for a new job that reused its id", () => {
    const registry = new WatchRegistry();
    registry.settle({ jobId: 1, state: "completed" }, "run-1");
    registry.watch([1], "run-2");
    expect(registry.unsettled("run-2")).toEqual([1]);
  });
});
