// What durability costs on this machine's disk: the latency of one small write plus
// fdatasync (through the blocking call and through a FileHandle, which adds the threadpool's
// round trip) and of one synchronous write into zeros written ahead (as the journal's `always`
// mode writes), and the journal appender's throughput when writers wait for their records, where
// group commit makes one sync serve every writer of a turn. Run it on the disk the journal
// will use: on a tmpfs a sync costs nothing and proves nothing.
import { closeSync, constants, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobSnapshot, JournalRecord } from "@djq/protocol";
import { Compactor, JournalAppender, replayJournal, type FsyncMode } from "@djq/queue/journal";
import { createLogger } from "@djq/runtime";
import { monotonicMs } from "../monotonic-clock.js";
import { percentile } from "../statistics.js";

export interface LatencyMicros {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface FsyncLatency {
  recordBytes: number;
  /** writeSync + fdatasyncSync: the disk's own cost. */
  blocking: LatencyMicros;
  /** FileHandle.write + datasync, appending: the file grows with every write. */
  fileHandle: LatencyMicros;
  /** FileHandle.write through O_DSYNC over zeros written ahead: what the appender pays per
   * batch with fsync `always`, since the file's size does not change. */
  preallocated: LatencyMicros;
}

export interface GroupCommitRun {
  fsync: FsyncMode;
  /** Writers, each appending one record and waiting until it is durable, then the next. */
  writers: number;
  records: number;
  recordsPerSecond: number;
  syncs: number;
  recordsPerBatch: number;
  /** From append to its promise settling. */
  commitMs: { p50: number; p99: number };
}

export interface ReplayRun {
  jobs: number;
  snapshotBytes: number;
  /** Compaction writing the snapshot of that many pending jobs. */
  writeS: number;
  /** Start-up reading it back: frames, checksums, JSON and schema checks, no core. */
  replayS: number;
  /** Pending jobs read back per second: a snapshot holds runs of them, many jobs to a record. */
  jobsPerSecond: number;
}

const log = createLogger({ program: "bench", level: "warn" });

export async function withScratchDirectory<T>(parent: string, run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(parent, "djq-journal-bench-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The two ways take turns, sample by sample, so both see the same disk: other writers on a
 * shared machine move fsync latency by milliseconds from one second to the next. */
export async function measureFsyncLatency(dir: string, samples: number, recordBytes = 128): Promise<FsyncLatency> {
  const record = Buffer.alloc(recordBytes, 0x61);
  const blocking: number[] = [];
  const viaHandle: number[] = [];
  const preallocated: number[] = [];
  const fd = openSync(join(dir, "blocking"), "w");
  const handle = await open(join(dir, "file-handle"), "w");
  const aheadPath = join(dir, "preallocated");
  await writeFile(aheadPath, Buffer.alloc(samples * recordBytes));
  const ahead = await open(aheadPath, constants.O_WRONLY | (constants.O_DSYNC ?? 0));
  try {
    await ahead.datasync();
    for (let i = 0; i < samples; i += 1) {
      let started = monotonicMs();
      writeSync(fd, record);
      fdatasyncSync(fd);
      blocking.push((monotonicMs() - started) * 1000);
      started = monotonicMs();
      await handle.write(record);
      await handle.datasync();
      viaHandle.push((monotonicMs() - started) * 1000);
      started = monotonicMs();
      await ahead.write(record, 0, recordBytes, i * recordBytes);
      preallocated.push((monotonicMs() - started) * 1000);
    }
  } finally {
    closeSync(fd);
    await handle.close();
    await ahead.close();
  }
  return { recordBytes, blocking: summarize(blocking), fileHandle: summarize(viaHandle), preallocated: summarize(preallocated) };
}

/** Writes a fresh journal in its own directory under `parent`. */
export async function measureGroupCommit(parent: string, fsync: FsyncMode, writers: number, records: number): Promise<GroupCommitRun> {
  const dir = await mkdtemp(join(parent, `${fsync}-${writers}-`));
  const appender = await JournalAppender.open({
    dir, fileNumber: 1, nextSeq: 1, fsync, fsyncIntervalMs: 50, maxRecordBytes: 1 << 20, segmentBytes: 64 << 20, log,
  });
  const before = { ...appender.stats };
  const commitMs: number[] = [];
  let next = 1;
  const writer = async () => {
    while (next <= records) {
      const jobId = next++;
      const started = monotonicMs();
      const durable = await appender.append(submittedRecord(jobId));
      if (!durable.ok) throw new Error(durable.message);
      commitMs.push(monotonicMs() - started);
    }
  };
  const started = monotonicMs();
  await Promise.all(Array.from({ length: writers }, writer));
  const elapsedMs = monotonicMs() - started;
  await appender.close();
  const batches = appender.stats.batches - before.batches;
  const sorted = commitMs.sort((a, b) => a - b);
  return {
    fsync,
    writers,
    records,
    recordsPerSecond: (records / elapsedMs) * 1000,
    syncs: appender.stats.syncs - before.syncs,
    recordsPerBatch: records / batches,
    commitMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
  };
}

/** A snapshot of `jobs` pending jobs written by compaction, then read back as start-up would. */
export async function measureReplay(parent: string, jobs: number): Promise<ReplayRun> {
  const dir = await mkdtemp(join(parent, "replay-"));
  const options = { dir, fileNumber: 1, nextSeq: 1, fsync: "always" as const, fsyncIntervalMs: 50, maxRecordBytes: 1 << 20, segmentBytes: 64 << 20, log };
  const appender = await JournalAppender.open(options);
  const compactor = new Compactor(appender, { dir, maxRecordBytes: 1 << 20, minSegmentBytes: 0, log }, 0, 0);
  let started = monotonicMs();
  const compacted = await compactor.compact(() => ({
    header: { at: Date.now(), queueId: "bench", run: 1, lastJobId: jobs, lastLease: 0, lastOrder: jobs, pausedQueues: [] },
    records: pendingJobs(jobs),
  }));
  const writeS = (monotonicMs() - started) / 1000;
  await appender.close();
  if (!compacted.ok) throw new Error(compacted.message);
  started = monotonicMs();
  const replayed = await replayJournal(dir, { maxRecordBytes: 1 << 20, startAnyway: false, log }, () => undefined);
  const replayS = (monotonicMs() - started) / 1000;
  return { jobs, snapshotBytes: compacted.snapshotBytes ?? 0, writeS, replayS, jobsPerSecond: jobs / replayS };
}

function* pendingJobs(count: number): Generator<JobSnapshot> {
  for (let jobId = 1; jobId <= count; jobId += 1) {
    yield { type: "job", jobId, spec: { durationMs: 0 }, submittedAt: 1_700_000_000_000 + jobId, state: "pending", attempts: 0, order: jobId, history: [] };
  }
}

/** The record the queue writes for a job with a small payload just submitted. */
function submittedRecord(jobId: number): JournalRecord {
  return { type: "job", jobId, spec: { queue: "default", durationMs: 0, payload: { n: jobId } }, submittedAt: Date.now(), state: "pending", attempts: 0, order: jobId, history: [] };
}

function summarize(micros: number[]): LatencyMicros {
  const sorted = micros.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, samples: sorted.length };
}
