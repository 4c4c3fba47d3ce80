import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: ".test-results.json" }]],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Each file starts its own processes; two files at a time keep a 2-core machine responsive
    // enough that heartbeat timings mean what the tests say.
    maxWorkers: 2,
  },
});
