// The figures djq is compared with, and the targets it is held to. Source: figures given in the
// project's performance issue; beanstalkd 1.12, Bee-Queue 2.0, BullMQ 6.7 on 2 cores, Node 20
// producers/workers, loopback, medians of 3 runs.
import type { Spread } from "./statistics.js";

export interface Reference {
  beanstalkd: string;
  beeQueue: string;
  bullmq: string;
  /** Shown as is, e.g. "≥ 100,000". */
  target: string;
  /** Whether the runs meet the target: by their median, or for counts that must be 0, by every run. */
  meets: (runs: Spread) => boolean;
}

export const referenceSource =
  "figures given in the project's performance issue; beanstalkd 1.12, Bee-Queue 2.0, BullMQ 6.7 on 2 cores, Node 20 producers/workers, loopback, medians of 3 runs";

const atLeast = (target: number) => ({ median }: Spread) => median >= target;
const atMost = (target: number) => ({ median }: Spread) => median <= target;

/** Keyed like the result rows. Throughput in jobs/s, times in ms, memory in bytes per job. */
export const references: Record<string, Reference> = {
  A: { beanstalkd: "25,100", beeQueue: "22,300", bullmq: "10,200", target: "≥ 100,000", meets: atLeast(100_000) },
  B: { beanstalkd: "13,900", beeQueue: "5,000", bullmq: "4,300", target: "≥ 13,900", meets: atLeast(13_900) },
  "C.p50": { beanstalkd: "0.15", beeQueue: "0.34", bullmq: "0.62", target: "≤ 0.2", meets: atMost(0.2) },
  "C.p99": { beanstalkd: "0.57", beeQueue: "3.2", bullmq: "4.6", target: "≤ 1", meets: atMost(1) },
  "D.memory": { beanstalkd: "219", beeQueue: "166", bullmq: "205", target: "≤ 160", meets: atMost(160) },
  E: { beanstalkd: "2", beeQueue: "> 120,000", bullmq: "~ 59,000", target: "≤ 5", meets: atMost(5) },
  F: { beanstalkd: "3,900", beeQueue: "> 120,000", bullmq: "~ 59,000", target: "≤ 1,000", meets: atMost(1_000) },
  "F.falsePositives": { beanstalkd: "", beeQueue: "", bullmq: "", target: "0", meets: ({ max }) => max === 0 },
  "scale.falsePositives": { beanstalkd: "", beeQueue: "", bullmq: "", target: "0", meets: ({ max }) => max === 0 },
};
