// The short form of `pnpm chaos`: real workers are killed, frozen and cut off from the queue while
// client processes submit and watch jobs, and still no job is lost and none is completed twice.
// The seed is printed; DJQ_SEED=… replays the same chaos actions.
import { describe, expect, it } from "vitest";
import { formatChaosReport, type ChaosReport } from "./chaos/chaos-report.js";
import { runChaos } from "./chaos/run-chaos.js";
import { resolveSeed } from "./chaos/seeded-random.js";

const seed = resolveSeed(process.env.DJQ_SEED);

function expectEveryJobSettledOnce(report: ChaosReport): void {
    expect(report.problems).toEqual([]);
    expect(report.jobs.submitted).toBe(1_500);
    expect(report.jobs.lost).toBe(0);
    expect(report.doubleCompletions).toBe(0);
    expect(report.jobs.unexpectedFailures).toBe(0);
    expect(report.jobs.completed + report.jobs.failedAsDesigned).toBe(1_500);
    expect(report.clients).toEqual({ completed: 3, failed: [], disagreements: 0 });
    expect(report.actions.kill).toBeGreaterThan(0);
}

describe("chaos against the real programs", () => {
  it("loses no job and accepts no completion twice while workers are killed, frozen and partitioned", async () => {
    console.log(`chaos seed=${seed} (replay with DJQ_SEED=${seed})`);
    const report = await runChaos({ durationMs: 20_000, workers: 4, clients: 3, jobs: 1_500, seed, settleTimeoutMs: 20_000, checkInvariants: true });
    console.log(formatChaosReport(report));

    expectEveryJobSettledOnce(report);
    expect(report.actions.freeze).toBeGreaterThan(0);
    expect(report.actions.partition).toBeGreaterThan(0);
    expect(report.reassignments.afterLostWorker).toBeGreaterThan(0);
    expect(report.staleReportsRefused.queueLog).toBe(report.staleReportsRefused.queueStats);
    expect(report.detection.samples).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  }, 80_000);

  it("loses no acknowledged job and accepts no completion twice while the queue itself is SIGKILLed and restarted on its journal", async () => {
    console.log(`chaos --kill-queue seed=${seed} (replay with DJQ_SEED=${seed})`);
    const report = await runChaos({ durationMs: 20_000, workers: 4, clients: 3, jobs: 1_500, seed, settleTimeoutMs: 25_000, queueKills: 3 });
    console.log(formatChaosReport(report));

    expectEveryJobSettledOnce(report);
    expect(report.ok).toBe(true);
  }, 90_000);
});
