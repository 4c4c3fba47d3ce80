// `node bench/dist/journal-main.js [--dir DIR] [--samples N] [--records N]`: the disk's fsync
// latency for a small write and the journal appender's throughput with group commit, in one run,
// so the two can be compared. Until `pnpm bench --journal` runs the queue with its journal, this
// is how the journal's cost on a machine is measured.
import { tmpdir } from "node:os";
import { fsyncModes } from "@djq/queue/journal";
import { exitOnFlagError, integerFlag, parseFlags } from "@djq/runtime";
import { measureFsyncLatency, measureGroupCommit, measureReplay, withScratchDirectory } from "./workloads/journal-fsync.js";

const usage = `usage: node bench/dist/journal-main.js [--dir DIR] [--samples N] [--records N] [--replay-jobs N]
  --dir       where to write (default the system's temporary directory); use the journal's disk
  --samples   write+fdatasync pairs timed for the latency (default 1000)
  --records   records appended per group-commit run (default 20000)
  --replay-jobs  pending jobs in the snapshot written and read back (default 1000000)`;

const command = "node bench/dist/journal-main.js";
const { scratchRoot, samples, records, replayJobs } = exitOnFlagError(command, () => {
  const { values } = parseFlags(process.argv.slice(2), {
    command,
    usage,
    options: { dir: { type: "string" }, samples: { type: "string" }, records: { type: "string" }, "replay-jobs": { type: "string" } },
  });
  return {
    scratchRoot: values.dir ?? tmpdir(),
    samples: integerFlag("samples", values.samples, 1_000, 1),
    records: integerFlag("records", values.records, 20_000, 1),
    replayJobs: integerFlag("replay-jobs", values["replay-jobs"], 1_000_000, 1),
  };
});

const fixed = (value: number, digits = 0) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

await withScratchDirectory(scratchRoot, async (dir) => {
  const latency = await measureFsyncLatency(dir, samples);
  process.stdout.write(`fsync latency of a ${latency.recordBytes}-byte write + fdatasync, ${samples} samples (µs):\n`);
  for (const [label, l] of [["writeSync + fdatasyncSync", latency.blocking], ["FileHandle write + datasync", latency.fileHandle], ["O_DSYNC write, zeros ahead", latency.preallocated]] as const) {
    process.stdout.write(`  ${label.padEnd(28)} p50 ${fixed(l.p50).padStart(6)}  p99 ${fixed(l.p99).padStart(6)}  max ${fixed(l.max).padStart(7)}\n`);
  }
  process.stdout.write(`\njournal appender, ${records} records, each writer waiting for its record before the next:\n`);
  process.stdout.write(`  fsync     writers  records/s  syncs  records/batch  commit p50 ms  p99 ms\n`);
  for (const fsync of fsyncModes) {
    for (const writers of [1, 8, 64, 512]) {
      const run = await measureGroupCommit(dir, fsync, writers, records);
      process.stdout.write(
        `  ${fsync.padEnd(9)} ${String(writers).padStart(7)}  ${fixed(run.recordsPerSecond).padStart(9)}  ${String(run.syncs).padStart(5)}  ${fixed(run.recordsPerBatch, 1).padStart(13)}  ${fixed(run.commitMs.p50, 3).padStart(13)}  ${fixed(run.commitMs.p99, 3).padStart(6)}\n`,
      );
    }
  }
  const replay = await measureReplay(dir, replayJobs);
  process.stdout.write(`\nsnapshot of ${fixed(replay.jobs)} pending jobs: ${fixed(replay.snapshotBytes / 1e6, 1)} MB, written in ${fixed(replay.writeS, 2)} s,\n`);
  process.stdout.write(`  read back (frames, checksums, JSON, schemas; no core) in ${fixed(replay.replayS, 2)} s = ${fixed(replay.jobsPerSecond)} jobs/s\n`);
});
