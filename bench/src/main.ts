// `pnpm bench`: runs workloads A–F and the scale runs against the real queue, worker and client
// processes on loopback, prints a table of medians (min–max) beside the reference figures,
// writes bench/results/latest.json and the charts. `--quick` is the CI smoke run (< 60 s).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { formatProfile, profileQueue } from "./cpu-profile.js";
import { describeMachine, describeSource, loadAverage } from "./machine.js";
import { writePlots } from "./plot-files.js";
import { killAll, repoRoot } from "./processes.js";
import { referenceSource } from "./reference-figures.js";
import { formatMachine, formatTable } from "./report-table.js";
import type { BenchResult, PlotPoint, ResultRow } from "./results.js";
import { spread } from "./statistics.js";
import type { WorkerFleet } from "./system-under-test.js";
import { falsePositiveCount, fleetA, runBulk } from "./workloads/bulk-throughput.js";
import { runFailover } from "./workloads/failover.js";
import { formatRatios, sameRunRatios } from "./same-run-ratios.js";
import { userJobType, userQueue } from "./user-job.js";
import { runFloorOneByOne, runFloorPaced, runFloorSerial, type BareSerialRun } from "./workloads/floor.js";
import { findBeanstalkd, runBeanstalkOneByOne, runBeanstalkPaced, runBeanstalkSerial, type Binlog } from "./workloads/beanstalkd.js";
import { runPaced } from "./workloads/paced-latency.js";
import { runMemory, runSweep } from "./workloads/pending-backlog.js";
import { runSerial } from "./workloads/serial-submit.js";
import { runBatches, runOneByOne, runOneByOneLongLived, type OneByOneRun } from "./workloads/user-shape.js";
import { describeCost, type SystemCost } from "./process-cost.js";
import { measureFsyncLatency, measureReplay, withScratchDirectory } from "./workloads/journal-fsync.js";
import { journalModes, runRecovery, withJournal, type JournalMode } from "./workloads/journal-cost.js";
import { tmpdir } from "node:os";
import { defaultQueueConfig } from "@djq/queue";

const workloadNames: readonly string[] = ["A", "B", "C", "U", "D", "E", "F", "scale", "floor", "beanstalkd", "bare", "diag", "keys", "journal"];
const usage = `usage: pnpm bench [--quick] [--only ${workloadNames.join(",")}] [--journal] [--runs N] [--profile] [--publish] [--wait-for-quiet]
  --quick     smoke run for CI: 1 run each, smaller sizes, under a minute
  --runs      runs of each workload, the medians and ranges taken over them (default 3; with --quick 1)
  --only      run only these workloads (comma-separated); U is the user's shape (its own handler,
              a named queue, submits without watch); floor is a calibration (B, C and U's
              one-at-a-time submits through a do-nothing Node broker); beanstalkd, where it is on
              PATH, runs the same three shapes through beanstalkd with bare peers (with --journal, B
              also with its binlog, fsync every 50 ms and on every write); bare (the floor's bare peers
              driving djq's queue: the queue's share of the gap to the floor, B also with a fresh key
              on every submit as the client library sends), diag (A and B with bench
              workers whose zero-duration jobs return at once) and keys (U's one-at-a-time shape on one queue kept running past its 100,000
              remembered submission keys) run only when named
  --profile   run workload A (or those of A, B named in --only) with the queue under node --cpu-prof
              and print the functions with the most self time (with --journal: journal on, fsync always)
  --journal   A, B and C each with the journal off, on with fsync always and on with fsync interval,
              interleaved run by run, with the ratios; and the journal workload: the disk's fsync latency
              and the time from start to serving with a large backlog in the journal (default --only A,B,C,journal,beanstalkd)
  --publish   also write bench/results/full-run.json and the charts into docs/ (for docs/benchmarks.md)
  --wait-for-quiet  first wait (up to 15 min) until the 1-minute load average is below half the cores`;

const flags = parseFlags();

function parseFlags() {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        profile: { type: "boolean", default: false },
        journal: { type: "boolean", default: false },
        runs: { type: "string" },
        publish: { type: "boolean", default: false },
        "wait-for-quiet": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
    process.exit(2);
  }
}
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const say = (line: string) => process.stderr.write(`${line}\n`);
const n = (value: number) => Math.round(value).toLocaleString("en-US");

const quick = flags.quick;
const repeats = flags.runs === undefined ? (quick ? 1 : 3) : Number(flags.runs);
if (!Number.isInteger(repeats) || repeats < 1) {
  say(`--runs must be a whole number of at least 1, got ${String(flags.runs)}`);
  process.exit(2);
}
const sizes = quick
  ? { A: 10_000, B: 2_000, cRate: 1_000, cDurationMs: 2_000, memoryPending: 100_000, memoryRuns: 1, sweepBatch: 5_000, scaleJobs: 5_000, idleClients: 200,
      warmUpBulk: 2_000, warmUpSerial: 500, warmUpPacedMs: 500, recoveryPending: 100_000 }
  : { A: 50_000, B: 20_000, cRate: 1_000, cDurationMs: 10_000, memoryPending: 1_000_000, memoryRuns: 3, sweepBatch: 20_000, scaleJobs: 50_000, idleClients: 1_000,
      warmUpBulk: 150_000, warmUpSerial: 20_000, warmUpPacedMs: 5_000, recoveryPending: 1_000_000 };
const sweepBacklogs = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
const scaleConnections = quick ? [1, 8, 64] : [1, 2, 8, 64];
const selected = new Set((flags.only ?? (flags.journal ? "A,B,C,journal,beanstalkd" : "A,B,C,U,D,E,F,scale,floor,beanstalkd")).split(",").map((name) => name.trim()));
const unknown = [...selected].filter((name) => !workloadNames.includes(name));
if (unknown.length > 0) {
  say(`--only: no workload ${unknown.map((name) => JSON.stringify(name)).join(", ")}; the workloads are ${workloadNames.join(", ")}`);
  process.exit(2);
}
/** With --journal, A, B and C run once per mode in every repeat; without, only with it off. */
const modes: readonly JournalMode[] = flags.journal ? journalModes : ["off"];
const modeKey = (key: string, mode: JournalMode) => (mode === "off" ? key : `${key}.journal-${mode}`);
const modeLabel = (mode: JournalMode) => (mode === "off" ? "" : `, journal fsync ${mode}`);

/** Runs each variant once in each repeat, the variants taking turns so that they see the same load;
 * each variant's runs are kept under its key. */
async function repeatInTurns<V, T>(variants: readonly V[], key: (variant: V) => string, run: (variant: V) => Promise<T>, describe: (value: T) => string): Promise<Map<V, T[]>> {
  const byVariant = new Map<V, T[]>(variants.map((variant) => [variant, []]));
  for (let i = 0; i < repeats; i++) {
    for (const variant of variants) {
      const value = await run(variant);
      (byVariant.get(variant) as T[]).push(value);
      say(`  ${key(variant)} run ${i + 1}/${repeats}: ${describe(value)}`);
    }
  }
  for (const [variant, values] of byVariant) (result.runs[key(variant)] ??= []).push(...values);
  return byVariant;
}

/** Runs `run` once per journal mode in each repeat, the modes taking turns. */
function repeatByMode<T>(name: string, run: (queueArgs: string[]) => Promise<T>, describe: (value: T) => string): Promise<Map<JournalMode, T[]>> {
  return repeatInTurns(modes, (mode) => modeKey(name, mode), (mode) => withJournal(mode, run), describe);
}

/** Each journaled run's figure over the unjournaled run of the same repeat. */
function ratioRows(key: string, workload: string, label: string, byMode: Map<JournalMode, number[]>): void {
  const off = byMode.get("off") as number[];
  for (const mode of modes) {
    if (mode === "off") continue;
    const on = byMode.get(mode) as number[];
    row(`${key}.ratio-${mode}`, workload, `${label}: journal fsync ${mode} / off, run by run`, "ratio", on.map((value, i) => value / (off[i] as number)));
  }
}

async function waitForQuiet(limitMs: number): Promise<void> {
  const cores = describeMachine().cores;
  const deadline = Date.now() + limitMs;
  while (loadAverage() >= cores / 2 && Date.now() < deadline) {
    say(`waiting for a quiet machine: load average ${loadAverage()} on ${cores} cores`);
    await delay(15_000);
  }
}

if (flags["wait-for-quiet"]) await waitForQuiet(15 * 60_000);

const startedAt = new Date();
const source = describeSource(repoRoot);
const result: BenchResult = {
  mode: quick ? "quick" : "full",
  startedAt: startedAt.toISOString(),
  durationS: 0,
  machine: describeMachine(),
  ...(source === undefined ? {} : { source }),
  sizes,
  rows: [],
  plots: { throughputVsPending: [], throughputVsWorkers: [] },
  runs: {},
  errors: [],
  ratios: [],
};


function row(key: string, workload: string, label: string, unit: ResultRow["unit"], values: number[], extra: Partial<ResultRow> = {}): ResultRow {
  const added: ResultRow = { key, workload, label, unit, values, spread: spread(values), ...extra };
  result.rows.push(added);
  return added;
}

function medianOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : spread(known).median;
}

async function repeat<T>(name: string, times: number, run: () => Promise<T>, describe: (value: T) => string): Promise<T[]> {
  const done: T[] = [];
  for (let i = 0; i < times; i++) {
    const value = await run();
    done.push(value);
    say(`  ${name} run ${i + 1}/${times}: ${describe(value)}`);
  }
  (result.runs[name] ??= []).push(...done);
  return done;
}

async function workload(name: string, title: string, body: () => Promise<void>): Promise<void> {
  if (!selected.has(name)) return;
  const load = loadAverage();
  (result.loadAverageByWorkload ??= {})[name] = load;
  say(`${name}: ${title} (load average ${load})`);
  const t0 = Date.now();
  try {
    await body();
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    result.errors.push({ workload: name, message });
    say(`  ${name} FAILED: ${message}`);
    await killAll();
  }
  say(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}


const point = (x: number, values: number[]): PlotPoint => ({ x, ...spread(values) });

const ms = (value: number) => value.toFixed(3);
const describeOneByOne = (r: OneByOneRun) =>
  `${n(r.jobsPerSecond)} jobs/s, ack p50 ${ms(r.acknowledged.p50Ms)} p99 ${ms(r.acknowledged.p99Ms)} ms, start p50 ${ms(r.started.p50Ms)} p99 ${ms(r.started.p99Ms)} ms; per job: ${describeCost(r.costs)}`;
/** The broker's CPU and writes per job, medians over the runs, for the table. */
const costColumns = (costs: SystemCost[]): Partial<ResultRow> => ({
  queueCpuUsPerJob: medianOf(costs.map((cost) => cost.broker.cpuUsPerJob)),
  queueWritesPerJob: medianOf(costs.map((cost) => cost.broker.writesPerJob)),
});

/** The rows of one-awaited-submit runs: throughput, then the acknowledgement's and the start's percentiles. */
function oneByOneRows(key: string, workload: string, label: string, runs: OneByOneRun[]): void {
  row(key, workload, `${label}, jobs/s to the last handler start`, "jobs/s", runs.map((r) => r.jobsPerSecond), costColumns(runs.map((r) => r.costs)));
  row(`${key}.ack.p50`, workload, `${label}, submit acknowledged, p50`, "ms", runs.map((r) => r.acknowledged.p50Ms));
  row(`${key}.ack.p99`, workload, `${label}, submit acknowledged, p99`, "ms", runs.map((r) => r.acknowledged.p99Ms));
  row(`${key}.start.p50`, workload, `${label}, submit → handler start, p50`, "ms", runs.map((r) => r.started.p50Ms));
  row(`${key}.start.p99`, workload, `${label}, submit → handler start, p99`, "ms", runs.map((r) => r.started.p99Ms));
}

if (flags.profile) {
  for (const workload of (["A", "B"] as const).filter((name) => flags.only === undefined ? name === "A" : selected.has(name))) {
    const jobs = workload === "A" ? sizes.A : sizes.B;
    // With --journal, the queue profiled records every change with fsync always.
    const mode: JournalMode = flags.journal ? "always" : "off";
    say(`profiling the queue under workload ${workload}${modeLabel(mode)} (${n(jobs)} jobs × 3 on one queue process)`);
    process.stdout.write(`${formatProfile(await withJournal(mode, (queueArgs) => profileQueue(workload, jobs, 3, queueArgs)))}\n\n`);
  }
  process.exit(0);
}

say(`djq bench (${result.mode}): ${formatMachine(result.machine)}`);
if (result.machine.loadAverage.atStart > result.machine.cores / 2) {
  say(`  warning: the machine is busy (load average ${result.machine.loadAverage.atStart} on ${result.machine.cores} cores); results will be low and noisy`);
}

await workload("A", `${n(sizes.A)} zero-duration jobs, bulk submit, 2 worker processes × concurrency 50`, async () => {
  const byMode = await repeatByMode("A", (queueArgs) => runBulk(sizes.A, sizes.warmUpBulk, fleetA, undefined, queueArgs), (r) => `${n(r.jobsPerSecond)} jobs/s, failed ${r.failed}, false positives ${falsePositiveCount(r)}`);
  for (const [mode, modeRuns] of byMode) {
    row(modeKey("A", mode), "A", `${n(sizes.A)} jobs, bulk submit, 2 workers × 50${modeLabel(mode)}`, "jobs/s", modeRuns.map((r) => r.jobsPerSecond), {
      queueCpuUsPerJob: medianOf(modeRuns.map((r) => r.queueCpuUsPerJob)),
    });
  }
  ratioRows("A", "A", "A's throughput", new Map([...byMode].map(([mode, r]) => [mode, r.map((x) => x.jobsPerSecond)])));
  const runs = byMode.get("off") as Awaited<ReturnType<typeof runBulk>>[];
  result.runs.falsePositives = runs.map((r) => r.falsePositives);
  row("F.falsePositives", "F", "workers wrongly lost during A (reassigned + lost + worker warnings)", "count", runs.map(falsePositiveCount));
});

await workload("B", `${n(sizes.B)} jobs, one awaited submit at a time, 2 worker processes × concurrency 1`, async () => {
  const byMode = await repeatByMode("B", (queueArgs) => runSerial(sizes.B, sizes.warmUpSerial, undefined, queueArgs), (r) =>
    `${n(r.jobsPerSecond)} jobs/s, failed ${r.failed}; per job: ${describeCost(r.costs)}`);
  for (const [mode, runs] of byMode) {
    row(modeKey("B", mode), "B", `${n(sizes.B)} jobs, one awaited submit at a time, 2 workers × 1${modeLabel(mode)}`, "jobs/s", runs.map((r) => r.jobsPerSecond), costColumns(runs.map((r) => r.costs)));
  }
  ratioRows("B", "B", "B's throughput", new Map([...byMode].map(([mode, r]) => [mode, r.map((x) => x.jobsPerSecond)])));
});

await workload("C", `${n(sizes.cRate)} jobs/s for ${sizes.cDurationMs / 1000} s, idle workers: submit → handler start`, async () => {
  const byMode = await repeatByMode("C", (queueArgs) => runPaced(sizes.cRate, sizes.cDurationMs, sizes.warmUpPacedMs, queueArgs), (r) =>
    `${r.jobs} jobs, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(2)} ms, missing ${r.missing}`);
  const label = `${n(sizes.cRate)}/s for ${sizes.cDurationMs / 1000} s, submit → start`;
  for (const [mode, runs] of byMode) {
    row(modeKey("C.p50", mode), "C", `${label}, p50${modeLabel(mode)}`, "ms", runs.map((r) => r.p50Ms));
    row(modeKey("C.p99", mode), "C", `${label}, p99${modeLabel(mode)}`, "ms", runs.map((r) => r.p99Ms));
  }
});

await workload("U", `the user's shape: its own handler for "${userJobType}" on queue "${userQueue}", submits without watch`, async () => {
  const one = await repeat("U", repeats, () => runOneByOne(sizes.B, sizes.warmUpSerial), describeOneByOne);
  oneByOneRows("U", "U", `${n(sizes.B)} jobs, one awaited submit at a time, 2 library workers × 50`, one);
  const batches = await repeat("U.batches", repeats, () => runBatches(sizes.A, 1_000, sizes.warmUpBulk), (r) =>
    `${n(r.jobsPerSecond)} jobs/s; per job: ${describeCost(r.costs)}`);
  row("U.batches", "U", `${n(sizes.A)} jobs in awaited batches of 1,000, 2 library workers × 50`, "jobs/s", batches.map((r) => r.jobsPerSecond),
    costColumns(batches.map((r) => r.costs)));
});

/** Past this many keyed submits the queue evicts a key for every new one. */
const DEFAULT_MAX_KEYS = defaultQueueConfig.core.idempotency.maxKeys;

await workload("keys", `U's one-at-a-time shape on one queue kept running past its ${n(DEFAULT_MAX_KEYS)} remembered submission keys`, async () => {
  const rounds = quick ? 3 : 8;
  const runs = await runOneByOneLongLived(sizes.B, rounds);
  runs.forEach((r, i) => say(`  keys after ${n((i + 1) * sizes.B)} submits: ${describeOneByOne(r)}`));
  result.runs.keys = runs;
  // The first round warms the system up; those ending at or below the limit find the table not full.
  const below = runs.filter((_, i) => i > 0 && (i + 1) * sizes.B <= DEFAULT_MAX_KEYS);
  const full = runs.filter((_, i) => i * sizes.B >= DEFAULT_MAX_KEYS);
  if (below.length > 0) oneByOneRows("keys.below", "keys", `U's shape, rounds of ${n(sizes.B)} before the key table is full`, below);
  if (full.length > 0) oneByOneRows("keys.full", "keys", `U's shape, rounds of ${n(sizes.B)} with the key table full`, full);
});

await workload("D", `memory per pending job (${n(sizes.memoryPending)} pending) and throughput vs backlog`, async () => {
  const memory = await repeat("D.memory", sizes.memoryRuns, () => runMemory(sizes.memoryPending), (r) =>
    `${r.heapBytesPerJob.toFixed(1)} B/job heap, ${r.rssBytesPerJob.toFixed(1)} B/job RSS, filled at ${n(r.fillJobsPerSecond)} jobs/s`);
  row("D.memory", "D", `${n(sizes.memoryPending)} pending tiny jobs, heap after GC`, "B/job", memory.map((r) => r.heapBytesPerJob));
  row("D.rss", "D", `${n(sizes.memoryPending)} pending tiny jobs, RSS`, "B/job", memory.map((r) => r.rssBytesPerJob));
  row("D.fill", "D", `submit-only rate filling ${n(sizes.memoryPending)} (no workers, no watch)`, "jobs/s", memory.map((r) => r.fillJobsPerSecond));
  const sweep = await runSweep(sweepBacklogs, sizes.sweepBatch, repeats);
  result.runs["D.sweep"] = sweep;
  for (const backlog of sweepBacklogs) {
    const runs = sweep.slice(sweepBacklogs.indexOf(backlog) * repeats, (sweepBacklogs.indexOf(backlog) + 1) * repeats);
    for (const r of runs) say(`  D.sweep ${n(backlog)} pending (${n(r.pending)} at start): ${n(r.jobsPerSecond)} jobs/s, queue ${r.queueCpuUsPerJob?.toFixed(1)} µs/job, backlog taken ${n(r.backlogTaken)}, CPU ms ${JSON.stringify(r.cpuMs)}`);
    row(`D.sweep.${backlog}`, "D", `${n(sizes.sweepBatch)} priority-9 jobs past ${n(backlog)} pending`, "jobs/s", runs.map((r) => r.jobsPerSecond), {
      queueCpuUsPerJob: medianOf(runs.map((r) => r.queueCpuUsPerJob)),
    });
    result.plots.throughputVsPending.push(point(backlog, runs.map((r) => r.jobsPerSecond)));
  }
});

await workload("E", "worker SIGKILLed mid-job: signal → another worker starts the job (defaults)", async () => {
  const runs = await repeat("E", repeats, () => runFailover("SIGKILL"), (r) => `${r.takeoverMs.toFixed(2)} ms (victim's exit seen after ${r.exitSeenMs?.toFixed(2)} ms)`);
  row("E", "E", "worker SIGKILLed mid-job → job restarted elsewhere", "ms", runs.map((r) => r.takeoverMs));
  row("E.os", "E", "for scale: signal → the bench reaps the killed worker (OS teardown)", "ms", runs.map((r) => r.exitSeenMs ?? Number.NaN));
});

await workload("F", "worker SIGSTOPped mid-job: signal → another worker starts the job (defaults)", async () => {
  const runs = await repeat("F", repeats, () => runFailover("SIGSTOP"), (r) => `${r.takeoverMs.toFixed(1)} ms`);
  row("F", "F", "worker SIGSTOPped mid-job → job restarted elsewhere", "ms", runs.map((r) => r.takeoverMs));
});

await workload("journal", `the disk's fsync latency, and start to serving with ${n(sizes.recoveryPending)} pending jobs in the journal`, async () => {
  const fsync = await withScratchDirectory(tmpdir(), (dir) => measureFsyncLatency(dir, quick ? 200 : 1_000));
  say(`  fsync of a ${fsync.recordBytes}-byte write through a FileHandle: p50 ${fsync.fileHandle.p50.toFixed(0)} µs, p99 ${fsync.fileHandle.p99.toFixed(0)} µs`);
  say(`  synchronous ${fsync.recordBytes}-byte write over zeros written ahead: p50 ${fsync.preallocated.p50.toFixed(0)} µs, p99 ${fsync.preallocated.p99.toFixed(0)} µs`);
  result.runs.fsync = [fsync];
  row("journal.fsync", "journal", `write + fdatasync of ${fsync.recordBytes} bytes appended (FileHandle), p50`, "µs", [fsync.fileHandle.p50]);
  row("journal.fsync-ahead", "journal", `O_DSYNC write of ${fsync.recordBytes} bytes over zeros written ahead (FileHandle, as the journal's always mode does), p50`, "µs", [fsync.preallocated.p50]);
  const recovery = await repeat("journal.recovery", quick ? 1 : 3, () => runRecovery(sizes.recoveryPending), (r) =>
    `start to serving ${n(r.startToServingMs)} ms (the queue's account: ${r.recoveryMs} ms for ${n(r.records ?? 0)} records), journal ${(r.journalBytes / 1e6).toFixed(1)} MB in ${r.files} files, filled at ${n(r.fillJobsPerSecond)} jobs/s`);
  row("journal.recovery", "journal", `start to serving with ${n(sizes.recoveryPending)} pending jobs in the journal`, "ms", recovery.map((r) => r.startToServingMs));
  row("journal.bytes", "journal", `journal holding those ${n(sizes.recoveryPending)} pending jobs and the fill's idempotency keys (newest snapshot + tail)`, "MB", recovery.map((r) => r.journalBytes / 1e6));
  // What compaction leaves of a journal holding only that backlog: its snapshot, the tail empty.
  const snapshot = await withScratchDirectory(tmpdir(), (dir) => measureReplay(dir, sizes.recoveryPending));
  say(`  snapshot of ${n(snapshot.jobs)} pending jobs: ${(snapshot.snapshotBytes / 1e6).toFixed(1)} MB, written in ${snapshot.writeS.toFixed(2)} s, read back (no core) in ${snapshot.replayS.toFixed(2)} s`);
  row("journal.snapshot", "journal", `journal right after a compaction of ${n(sizes.recoveryPending)} pending jobs (the snapshot alone)`, "MB", [snapshot.snapshotBytes / 1e6]);
});

const scaleFalsePositives: number[] = [];
await workload("scale", `throughput (${n(sizes.scaleJobs)} jobs, A's shape) by worker connections, and with idle clients`, async () => {
  for (const connections of scaleConnections) {
    const processes = connections === 1 ? 1 : 2;
    const fleet: WorkerFleet = { program: "library", processes, workersPerProcess: connections / processes, concurrency: 50 };
    const runs = await repeat(`scale.${connections}`, repeats, () => runBulk(sizes.scaleJobs, sizes.warmUpBulk, fleet), (r) =>
      `${n(r.jobsPerSecond)} jobs/s, false positives ${falsePositiveCount(r)}`);
    row(`scale.${connections}`, "scale", `${connections} worker connection${connections === 1 ? "" : "s"} (${processes} process${processes === 1 ? "" : "es"} × ${fleet.workersPerProcess}) × 50`, "jobs/s",
      runs.map((r) => r.jobsPerSecond), { queueCpuUsPerJob: medianOf(runs.map((r) => r.queueCpuUsPerJob)) });
    result.plots.throughputVsWorkers.push(point(connections, runs.map((r) => r.jobsPerSecond)));
    scaleFalsePositives.push(...runs.map(falsePositiveCount));
  }
  const runs = await repeat("scale.idle", repeats, () => runBulk(sizes.scaleJobs, sizes.warmUpBulk, fleetA, sizes.idleClients), (r) =>
    `${n(r.jobsPerSecond)} jobs/s, false positives ${falsePositiveCount(r)}`);
  scaleFalsePositives.push(...runs.map(falsePositiveCount));
  row("scale.idle", "scale", `A's fleet with ${n(sizes.idleClients)} idle client connections open`, "jobs/s", runs.map((r) => r.jobsPerSecond), {
    queueCpuUsPerJob: medianOf(runs.map((r) => r.queueCpuUsPerJob)),
  });
  row("scale.falsePositives", "scale", "workers wrongly lost per run, over all scale runs (reassigned + lost + warnings)", "count", scaleFalsePositives);
});

await workload("floor", "calibration: B, C and U's one-at-a-time submits through a broker that does nothing but pass jobs on, with bare peers (no djq code)", async () => {
  const serial = await repeat("floor.B", repeats, () => runFloorSerial(sizes.B, sizes.warmUpSerial), (r) => `${n(r.jobsPerSecond)} jobs/s; per job: ${describeCost(r.costs)}`);
  row("floor.B", "floor", `B's shape through the floor broker: the most a Node queue can do here`, "jobs/s", serial.map((r) => r.jobsPerSecond),
    costColumns(serial.map((r) => r.costs)));
  const paced = await repeat("floor.C", repeats, () => runFloorPaced(sizes.cRate, sizes.cDurationMs, sizes.warmUpPacedMs), (r) =>
    `p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(2)} ms`);
  row("floor.C.p50", "floor", `C's shape through the floor broker, p50: the least a Node queue can take here`, "ms", paced.map((r) => r.p50Ms));
  row("floor.C.p99", "floor", `C's shape through the floor broker, p99`, "ms", paced.map((r) => r.p99Ms));
  const one = await repeat("floor.U", repeats, () => runFloorOneByOne(sizes.B, sizes.warmUpSerial), describeOneByOne);
  oneByOneRows("floor.U", "floor", `U's one-at-a-time shape through the floor broker`, one);
});

const beanstalkd = findBeanstalkd();
await workload("beanstalkd", beanstalkd === undefined
  ? "a peer in the same run: skipped, no beanstalkd on PATH (Debian and Ubuntu: apt-get install beanstalkd)"
  : `a peer in the same run: B, C and U's shapes through ${beanstalkd}, with bare peers${flags.journal ? "; B also with its binlog" : ""}`, async () => {
  if (beanstalkd === undefined) return;
  // With --journal, B in memory and with each binlog setting take turns, as djq's journal modes do.
  const inMemory: { key: string; label: string; binlog: Binlog } = { key: "beanstalkd.B", label: "in memory", binlog: "off" };
  const binlogs: (typeof inMemory)[] = [
    inMemory,
    ...(flags.journal
      ? [
          { key: "beanstalkd.B.binlog-50", label: "binlog, fsync at most every 50 ms (its default)", binlog: { fsyncMs: 50 } },
          { key: "beanstalkd.B.binlog-0", label: "binlog, fsync on every write (-f 0)", binlog: { fsyncMs: 0 } },
        ]
      : []),
  ];
  const serial = await repeatInTurns(binlogs, ({ key }) => key, ({ binlog }) => runBeanstalkSerial(beanstalkd, sizes.B, sizes.warmUpSerial, binlog), (r) =>
    `${n(r.jobsPerSecond)} jobs/s; per job: ${describeCost(r.costs)}`);
  const inMemoryRuns = serial.get(inMemory) as BareSerialRun[];
  for (const [variant, runs] of serial) {
    const { key, label } = variant;
    row(key, "beanstalkd", `B's shape through beanstalkd, ${label}`, "jobs/s", runs.map((r) => r.jobsPerSecond), costColumns(runs.map((r) => r.costs)));
    if (variant !== inMemory) {
      row(`${key}.ratio`, "beanstalkd", `B through beanstalkd: ${label} / in memory, run by run`, "ratio", runs.map((r, i) => r.jobsPerSecond / (inMemoryRuns[i] as BareSerialRun).jobsPerSecond));
    }
  }
  if (flags.journal) return;
  const paced = await repeat("beanstalkd.C", repeats, () => runBeanstalkPaced(beanstalkd, sizes.cRate, sizes.cDurationMs, sizes.warmUpPacedMs), (r) =>
    `p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(2)} ms`);
  row("beanstalkd.C.p50", "beanstalkd", `C's shape through beanstalkd, put → reserve, p50`, "ms", paced.map((r) => r.p50Ms));
  row("beanstalkd.C.p99", "beanstalkd", `C's shape through beanstalkd, put → reserve, p99`, "ms", paced.map((r) => r.p99Ms));
  const one = await repeat("beanstalkd.U", repeats, () => runBeanstalkOneByOne(beanstalkd, sizes.B, sizes.warmUpSerial), describeOneByOne);
  oneByOneRows("beanstalkd.U", "beanstalkd", `U's one-at-a-time shape through beanstalkd (the user's job on its own tube)`, one);
});

await workload("bare", "diagnostic: B, C and U's shapes through djq's queue, driven by the floor's bare peers (no client or worker library)", async () => {
  // Interleaved with the floor run by run, so that each ratio compares two brokers under the same load.
  const pairs = await repeat("bare", repeats, async () => ({
    serial: await runFloorSerial(sizes.B, sizes.warmUpSerial, "djq"),
    keyed: await runFloorSerial(sizes.B, sizes.warmUpSerial, "djq", { keyed: true }),
    floorSerial: await runFloorSerial(sizes.B, sizes.warmUpSerial),
    paced: await runFloorPaced(sizes.cRate, sizes.cDurationMs, sizes.warmUpPacedMs, "djq"),
    floorPaced: await runFloorPaced(sizes.cRate, sizes.cDurationMs, sizes.warmUpPacedMs),
    one: await runFloorOneByOne(sizes.B, sizes.warmUpSerial, "djq"),
    floorOne: await runFloorOneByOne(sizes.B, sizes.warmUpSerial),
  }), (r) =>
    `B ${n(r.serial.jobsPerSecond)} jobs/s, keyed ${n(r.keyed.jobsPerSecond)} (floor ${n(r.floorSerial.jobsPerSecond)}); C p50 ${r.paced.p50Ms.toFixed(3)} p99 ${r.paced.p99Ms.toFixed(3)} ms (floor ${r.floorPaced.p50Ms.toFixed(3)} / ${r.floorPaced.p99Ms.toFixed(3)}); ` +
    `U ${n(r.one.jobsPerSecond)} jobs/s, ack p50 ${r.one.acknowledged.p50Ms.toFixed(3)} ms (floor ${n(r.floorOne.jobsPerSecond)}, ${r.floorOne.acknowledged.p50Ms.toFixed(3)}); per job in B: ${describeCost(r.serial.costs)}; keyed: ${describeCost(r.keyed.costs)}`);
  row("bare.B", "bare", `B's shape through djq's queue with bare peers`, "jobs/s", pairs.map((r) => r.serial.jobsPerSecond), costColumns(pairs.map((r) => r.serial.costs)));
  row("bare.B.ratio", "bare", `B's shape with bare peers: djq's queue / the floor broker, run by run`, "ratio", pairs.map((r) => r.serial.jobsPerSecond / r.floorSerial.jobsPerSecond));
  row("bare.B.keyed", "bare", `B's shape with bare peers, each submit with a fresh key as the client library sends it`, "jobs/s", pairs.map((r) => r.keyed.jobsPerSecond),
    costColumns(pairs.map((r) => r.keyed.costs)));
  row("bare.B.keyed.ratio", "bare", `B's shape with keyed bare peers: djq's queue / the floor broker, run by run`, "ratio", pairs.map((r) => r.keyed.jobsPerSecond / r.floorSerial.jobsPerSecond));
  row("bare.C.p50", "bare", `C's shape through djq's queue with bare peers, p50`, "ms", pairs.map((r) => r.paced.p50Ms));
  row("bare.C.p50.ratio", "bare", `C's p50 with bare peers: djq's queue / the floor broker, run by run`, "ratio", pairs.map((r) => r.paced.p50Ms / r.floorPaced.p50Ms));
  row("bare.C.p99", "bare", `C's shape through djq's queue with bare peers, p99`, "ms", pairs.map((r) => r.paced.p99Ms));
  row("bare.C.p99.ratio", "bare", `C's p99 with bare peers: djq's queue / the floor broker, run by run`, "ratio", pairs.map((r) => r.paced.p99Ms / r.floorPaced.p99Ms));
  oneByOneRows("bare.U", "bare", `U's one-at-a-time shape through djq's queue with bare peers`, pairs.map((r) => r.one));
  row("bare.U.ack.ratio", "bare", `U's submit acknowledged p50 with bare peers: djq's queue / the floor broker, run by run`, "ratio",
    pairs.map((r) => r.one.acknowledged.p50Ms / r.floorOne.acknowledged.p50Ms));
});

await workload("diag", "diagnostic: A and B with bench workers whose zero-duration jobs skip the sleep handler's 1 ms timer", async () => {
  const fleet: WorkerFleet = { program: "library", processes: 2, workersPerProcess: 1, concurrency: 50, instant: true };
  const bulk = await repeat("diag.A", repeats, () => runBulk(sizes.A, sizes.warmUpBulk, fleet), (r) => `${n(r.jobsPerSecond)} jobs/s`);
  row("diag.A", "diag", `A's shape, 2 bench workers × 50, jobs return at once (compare scale, 2 connections)`, "jobs/s", bulk.map((r) => r.jobsPerSecond), {
    queueCpuUsPerJob: medianOf(bulk.map((r) => r.queueCpuUsPerJob)),
  });
  const serial = await repeat("diag.B", repeats, () => runSerial(sizes.B, sizes.warmUpSerial, { ...fleet, concurrency: 1 }), (r) => `${n(r.jobsPerSecond)} jobs/s`);
  row("diag.B", "diag", `B's shape, 2 bench workers × 1, jobs return at once`, "jobs/s", serial.map((r) => r.jobsPerSecond), costColumns(serial.map((r) => r.costs)));
});

result.ratios = sameRunRatios(result.rows);
result.machine.loadAverage.atEnd = loadAverage();
result.durationS = Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
const resultsDir = path.join(repoRoot, "bench/results");
mkdirSync(resultsDir, { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
writeFileSync(path.join(resultsDir, "latest.json"), json);
const plots = writePlots(result, resultsDir);
if (flags.publish) {
  writeFileSync(path.join(resultsDir, "full-run.json"), json);
  plots.push(...writePlots(result, path.join(repoRoot, "docs")));
}

const out = [
  "",
  `djq bench, ${result.mode} run, ${repeats} run${repeats === 1 ? "" : "s"} per workload, ${result.durationS} s`,
  `machine: ${formatMachine(result.machine)}`,
  ...(source === undefined ? [] : [`source: commit ${source.commit}${source.dirty ? " with uncommitted changes" : ""}`]),
  "",
  formatTable(result.rows),
  "",
  ...(result.ratios.length === 0 ? [] : [formatRatios(result.ratios), ""]),
  `reference figures: ${referenceSource}`,
  `results: ${path.relative(process.cwd(), path.join(resultsDir, "latest.json"))}${plots.length > 0 ? `; charts: ${plots.map((p) => path.relative(process.cwd(), p)).join(", ")}` : ""}`,
];
if (result.errors.length > 0) out.push("", `FAILED: ${result.errors.map((e) => e.workload).join(", ")} (see above)`);
process.stdout.write(`${out.join("\n")}\n`);
process.exit(result.errors.length > 0 ? 1 : 0);
