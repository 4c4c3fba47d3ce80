// Redraws the charts from a result file without running anything:
//   node bench/dist/plot.js bench/results/full-run.json docs
import { readFileSync } from "node:fs";
import { writePlots } from "./plot-files.js";
import type { BenchResult } from "./results.js";

const [file, dir] = process.argv.slice(2);
if (file === undefined || dir === undefined) {
  process.stderr.write("usage: node bench/dist/plot.js RESULT.json OUT_DIR\n");
  process.exit(2);
}
for (const written of writePlots(JSON.parse(readFileSync(file, "utf8")) as BenchResult, dir)) process.stdout.write(`${written}\n`);
