// What the journal costs and what it buys, measured on the real queue: A, B and C with the journal
// on (fsync always and interval) beside the same workloads without it, and the time from start to
// serving when the journal holds a large backlog. Each journaled run gets a fresh directory.
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProducerReport } from "../bench-messages.js";
import { killAll, startQueue } from "../processes.js";
import { withSystem } from "../system-under-test.js";

export const journalModes = ["off", "always", "interval"] as const;
export type JournalMode = (typeof journalModes)[number];

/** Runs `run` with the queue flags of `mode`, in a fresh journal directory removed afterwards. */
export async function withJournal<T>(mode: JournalMode, run: (queueArgs: string[]) => Promise<T>): Promise<T> {
  if (mode === "off") return run([]);
  const dir = await mkdtemp(join(tmpdir(), "djq-bench-journal-"));
  try {
    return await run(["--journal", join(dir, "journal"), "--journal-fsync", mode]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RecoveryRun {
  pending: number;
  fillJobsPerSecond: number;
  /** Spawn of the restarted queue to its first answered connection. */
  startToServingMs: number;
  /** The queue's own account: reading the journal and rebuilding the core. */
  recoveryMs: number | undefined;
  records: number | undefined;
  /** Bytes in the journal directory after the restart: the newest snapshot and the segments after it. */
  journalBytes: number;
  files: number;
}

type FillDone = Extract<ProducerReport, { type: "fill-done" }>;

/**
 * Fills the queue with `pending` tiny jobs through the journal, SIGKILLs it, and times the
 * restart. The fill queue compacts whenever its tail outgrows its snapshot, whatever their size
 * (`--journal-compact-min-bytes 0`), so the restart reads a snapshot and the tail after it, as a
 * queue that has run for a while does. The journal is measured after the restart, which deletes
 * what a compaction cut short by the kill left behind.
 */
export async function runRecovery(pending: number): Promise<RecoveryRun> {
  const parent = await mkdtemp(join(tmpdir(), "djq-bench-recovery-"));
  const dir = join(parent, "journal");
  try {
    const fill = await withSystem({ queueArgs: ["--journal", dir, "--journal-compact-min-bytes", "0"] }, async (system) => {
      system.producer.send({ type: "fill", jobs: pending, spec: {} });
      return system.producer.next<FillDone>("fill-done", 600_000);
    });
    const startedAt = performance.now();
    // A recovery slower than the 3 s target is still a figure to report, not a failure.
    const { queue, control } = await startQueue(["--journal", dir, "--log-level", "info"], {}, 120_000);
    const startToServingMs = performance.now() - startedAt;
    const stats = await control.stats();
    await control.close();
    if (stats.counts.pending !== pending) throw new Error(`recovered ${stats.counts.pending} pending jobs, not ${pending}`);
    const recovered = /journal\.recovered ms=(\d+) records=(\d+)/.exec(queue.stderr);
    await killAll();
    const names = await readdir(dir);
    let journalBytes = 0;
    for (const name of names) journalBytes += (await stat(join(dir, name))).size;
    return {
      pending,
      fillJobsPerSecond: (pending * 1000) / (fill.submittedAt - fill.startedAt),
      startToServingMs,
      recoveryMs: recovered === null ? undefined : Number(recovered[1]),
      records: recovered === null ? undefined : Number(recovered[2]),
      journalBytes,
      files: names.length,
    };
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
