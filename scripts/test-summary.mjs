// Adds up the JSON results every package's vitest run wrote and prints "N passed, N failed".
// A package that should have results but wrote none counts as one failure.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const packageDirs = ["packages", "apps"].flatMap((group) => (existsSync(group) ? readdirSync(group).map((name) => join(group, name)) : []));
for (const dir of [...packageDirs, "tests", "bench"]) {
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
  const file = join(dir, ".test-results.json");
  if (!existsSync(file)) {
    console.error(`${dir}: no test results were written`);
    failed += 1;
    continue;
  }
  const results = JSON.parse(readFileSync(file, "utf8"));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
  if (results.numFailedTestSuites > 0 && results.numFailedTests === 0) failed += results.numFailedTestSuites;
}
// Checks run outside vitest (the benchmark's smoke run) report through the environment.
if (process.env.SMOKE === "passed") passed += 1;
if (process.env.SMOKE === "failed") failed += 1;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
