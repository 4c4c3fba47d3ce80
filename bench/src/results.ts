// The shape of a bench result: what the table prints, the JSON file holds and the plots read.
import type { Machine } from "./machine.js";
import type { Ratio } from "./same-run-ratios.js";
import type { Spread } from "./statistics.js";

export interface ResultRow {
  /** Keys the reference figures: "A", "C.p50", "D.sweep.1000", "scale.8", … */
  key: string;
  workload: string;
  label: string;
  unit: "jobs/s" | "ms" | "µs" | "B/job" | "MB" | "count" | "ratio";
  /** One value per run. */
  values: number[];
  spread: Spread;
  /** Queue CPU time per job (user + system), median over runs, where it was measured. */
  queueCpuUsPerJob?: number;
  /** Write system calls the queue (or the floor broker) made per job, median over runs, where counted. */
  queueWritesPerJob?: number;
  note?: string;
}

export interface PlotPoint {
  x: number;
  median: number;
  min: number;
  max: number;
}

export interface BenchResult {
  mode: "full" | "quick";
  startedAt: string;
  durationS: number;
  machine: Machine;
  /** The git commit the bench ran against; `dirty` when tracked files had changes on top of it. */
  source?: { commit: string; dirty: boolean };
  sizes: Record<string, number>;
  rows: ResultRow[];
  plots: { throughputVsPending: PlotPoint[]; throughputVsWorkers: PlotPoint[] };
  /** Per-run details of each workload, for anyone who wants more than the table. */
  runs: Record<string, unknown[]>;
  errors: { workload: string; message: string }[];
  /** djq's medians over the floor's (or A's) from this same run: the figures that carry between machines. */
  ratios: Ratio[];
  /** The 1-minute load average as each workload began: high values mean other work competed. */
  loadAverageByWorkload?: Record<string, number>;
}
