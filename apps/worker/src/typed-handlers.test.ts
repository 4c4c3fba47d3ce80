// The handler typing is checked by the compiler, so this test runs it: on a fixture that uses
// createWorker as a user would, with type assertions and expected errors in it.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
const project = fileURLToPath(new URL("./test-support/typed-handlers.tsconfig.json", import.meta.url));

describe("createWorker's handler types", () => {
  it("type each payload from its schema's output and refuse a handler for an undeclared job type", async () => {
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", project, "--pretty", "false"]).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(run.stdout).toBe("");
    expect(run.code).toBe(0);
  });
});
