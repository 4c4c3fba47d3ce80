// Workload A or B with the queue under `node --cpu-prof`, and the profile boiled down to the
// functions with the most self time: the input for tuning the queue.
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./processes.js";
import { withSystem } from "./system-under-test.js";
import { fleetA, measureBulk } from "./workloads/bulk-throughput.js";
import { fleetB, measureSerial } from "./workloads/serial-submit.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle: the percentages below are of this. */
  busyMs: number;
  functions: { name: string; where: string; selfMs: number; busyPercent: number }[];
  files: { where: string; selfMs: number; busyPercent: number }[];
  workload: "A" | "B";
  /** Throughput of each batch under the profiler (slower than without it). */
  jobsPerSecond: number[];
}

const IDLE = "(idle)";

/** Runs `batches` batches of workload A (bulk) or B (one awaited submit at a time) on one queue under the profiler. */
export async function profileQueue(workload: "A" | "B", jobs: number, batches: number, queueArgs: string[] = [], top = 25): Promise<ProfileSummary> {
  const dir = path.join(repoRoot, "bench/results/profiles", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(dir, { recursive: true });
  const jobsPerSecond = await withSystem(
    { fleet: workload === "A" ? fleetA : fleetB, queueArgs, queueSpawn: { nodeFlags: ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "250"] } },
    async (system) => {
      const done: number[] = [];
      for (let i = 0; i < batches; i++) done.push((workload === "A" ? await measureBulk(system, jobs) : await measureSerial(system, jobs)).jobsPerSecond);
      // The profile is written when the queue exits normally: stop its peers, then SIGTERM it.
      for (const worker of system.workers) worker.kill();
      system.producer.kill();
      await system.control.close();
      system.queue.kill("SIGTERM");
      await system.queue.exited;
      return done;
    },
  );
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`the queue wrote no profile into ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
  return { file: path.relative(repoRoot, path.join(dir, file)), workload, ...summarize(profile, top), jobsPerSecond };
}

export function summarize(profile: CpuProfile, top: number): Omit<ProfileSummary, "file" | "workload" | "jobsPerSecond"> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, { name: string; where: string; selfUs: number }>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const meanDelta = profile.timeDeltas.reduce((a, b) => a + b, 0) / Math.max(1, profile.timeDeltas.length);
  profile.samples.forEach((nodeId, i) => {
    // A sample lasts until the next one is taken.
    const us = profile.timeDeltas[i + 1] ?? meanDelta;
    const frame = nodes.get(nodeId)?.callFrame;
    if (frame === undefined) return;
    totalUs += us;
    if (frame.functionName === IDLE) {
      idleUs += us;
      return;
    }
    const file = shorten(frame.url);
    const where = file === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || "(anonymous)", where, selfUs: 0 };
    entry.selfUs += us;
    byFunction.set(key, entry);
    byFile.set(file || frame.functionName, (byFile.get(file || frame.functionName) ?? 0) + us);
  });
  const busyUs = totalUs - idleUs;
  const percent = (us: number) => Math.round((us / busyUs) * 1000) / 10;
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, top)
      .map(({ name, where, selfUs }) => ({ name, where, selfMs: selfUs / 1000, busyPercent: percent(selfUs) })),
    files: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, selfUs]) => ({ where, selfMs: selfUs / 1000, busyPercent: percent(selfUs) })),
  };
}

function shorten(url: string): string {
  if (url === "") return "";
  const local = url.replace(/^file:\/\//, "");
  if (local.startsWith(repoRoot)) return local.slice(repoRoot.length);
  const pnpmStore = local.indexOf("/node_modules/.pnpm/");
  if (pnpmStore >= 0) return `node_modules/${local.slice(pnpmStore + "/node_modules/.pnpm/".length).split("/node_modules/")[1] ?? local}`;
  return local;
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `queue CPU profile under workload ${summary.workload} (${summary.file}): ${summary.totalMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy`,
    `throughput under the profiler: ${summary.jobsPerSecond.map((r) => Math.round(r).toLocaleString("en-US")).join(", ")} jobs/s`,
    "",
    "| self ms | % of busy | function | where |",
    "| ---: | ---: | --- | --- |",
    ...summary.functions.map((fn) => `| ${fn.selfMs.toFixed(1)} | ${fn.busyPercent.toFixed(1)} | ${fn.name} | ${fn.where} |`),
    "",
    "| self ms | % of busy | file |",
    "| ---: | ---: | --- |",
    ...summary.files.slice(0, 12).map((file) => `| ${file.selfMs.toFixed(1)} | ${file.busyPercent.toFixed(1)} | ${file.where} |`),
  ];
  return lines.join("\n");
}
