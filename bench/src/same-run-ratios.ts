// The figures that carry from one machine to another: djq's medians as ratios to the floor
// broker's (or to workload A's) measured in the same run. A throughput or latency alone says as
// much about the machine as about djq; its ratio to the floor on the same machine does not.
import type { ResultRow } from "./results.js";

export interface Ratio {
  measure: string;
  /** Row keys: djq's figure over the yardstick's. */
  of: string;
  to: string;
  ratio: number;
  /** Shown as is, e.g. "≥ 0.9"; empty when the ratio is only reported. */
  target: string;
  met: boolean | undefined;
}

interface RatioSpec {
  measure: string;
  of: string;
  to: string;
  target?: { text: string; meets: (ratio: number) => boolean };
}

const atLeast = (bound: number) => ({ text: `≥ ${bound}`, meets: (ratio: number) => ratio >= bound });
const atMost = (bound: number) => ({ text: `≤ ${bound}`, meets: (ratio: number) => ratio <= bound });

const specs: RatioSpec[] = [
  { measure: "B, jobs/s (sleep handler, watch) / floor B", of: "B", to: "floor.B", target: atLeast(0.9) },
  { measure: "U, jobs/s (own handler, no watch) / floor U", of: "U", to: "floor.U", target: atLeast(0.9) },
  { measure: "U, submit acknowledgement p50 / floor U's", of: "U.ack.p50", to: "floor.U.ack.p50" },
  { measure: "U, submit acknowledgement p99 / floor U's", of: "U.ack.p99", to: "floor.U.ack.p99" },
  { measure: "U, submit → handler start p50 / floor U's", of: "U.start.p50", to: "floor.U.start.p50" },
  { measure: "U, submit → handler start p99 / floor U's", of: "U.start.p99", to: "floor.U.start.p99" },
  { measure: "C, submit → start p50 / floor C p50", of: "C.p50", to: "floor.C.p50", target: atMost(1.5) },
  { measure: "C, submit → start p99 / floor C p99", of: "C.p99", to: "floor.C.p99", target: atMost(2) },
  { measure: "U, batches of 1,000, jobs/s / A", of: "U.batches", to: "A", target: atLeast(0.8) },
  { measure: "B / beanstalkd B", of: "B", to: "beanstalkd.B" },
  { measure: "U, jobs/s / beanstalkd U", of: "U", to: "beanstalkd.U" },
  { measure: "U, submit acknowledgement p50 / beanstalkd U's", of: "U.ack.p50", to: "beanstalkd.U.ack.p50" },
  { measure: "C, submit → start p50 / beanstalkd C p50", of: "C.p50", to: "beanstalkd.C.p50" },
  { measure: "C, submit → start p99 / beanstalkd C p99", of: "C.p99", to: "beanstalkd.C.p99" },
  { measure: "B's journal cost, fsync interval / off, over beanstalkd's binlog, fsync every 50 ms / in memory", of: "B.ratio-interval", to: "beanstalkd.B.binlog-50.ratio" },
  { measure: "B's journal cost, fsync always / off, over beanstalkd's binlog, fsync on every write / in memory", of: "B.ratio-always", to: "beanstalkd.B.binlog-0.ratio" },
];

/** The ratios whose two rows were both measured in this run. */
export function sameRunRatios(rows: readonly ResultRow[]): Ratio[] {
  const median = (key: string) => rows.find((row) => row.key === key)?.spread.median;
  const ratios: Ratio[] = [];
  for (const spec of specs) {
    const of = median(spec.of);
    const to = median(spec.to);
    if (of === undefined || to === undefined || !Number.isFinite(of) || !Number.isFinite(to) || to === 0) continue;
    const ratio = of / to;
    ratios.push({ measure: spec.measure, of: spec.of, to: spec.to, ratio, target: spec.target?.text ?? "", met: spec.target?.meets(ratio) });
  }
  return ratios;
}

export function formatRatios(ratios: readonly Ratio[]): string {
  const lines = ratios.map((r) => `| ${r.measure} | ${r.ratio.toFixed(2)} | ${r.target} | ${r.met === undefined ? "" : r.met ? "yes" : "**no**"} |`);
  return ["| Same-run ratio | median / median | target | met |", "| --- | ---: | --- | --- |", ...lines].join("\n");
}
