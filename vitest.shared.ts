// The test settings every package shares: tests beside the code, and a JSON report per package
// that .ci/run adds up into its one "N passed, N failed" line.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: ".test-results.json" }]],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
