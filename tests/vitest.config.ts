import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../vitest.shared.js";

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Each file starts its own processes; two files at a time keep a 2-core machine responsive
      // enough that heartbeat timings mean what the tests say.
      maxWorkers: 2,
    },
  }),
);
