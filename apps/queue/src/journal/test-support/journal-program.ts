// Runs a few lines of ES module code as a real child process that uses the built journal
// (dist/journal), so a test can limit its file size or SIGKILL it. Build first (`npx tsc -b`).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const queuePackage = fileURLToPath(new URL("../../..", import.meta.url));

/** The built module's path, for the program's `import`; throws if the queue is not built. */
export function builtJournalModule(name: string): string {
  const path = fileURLToPath(new URL(`../../../dist/journal/${name}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build the queue first (npx tsc -b)`);
  return path;
}

export interface JournalProgram {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `program` with `arg` as process.argv[1], under `wrapper` (e.g. prlimit) if given. */
export function startJournalProgram(program: string, arg: string, wrapper: string[] = []): JournalProgram {
  const command = [...wrapper, process.execPath, "--input-type=module", "-e", program, arg];
  const child = spawn(command[0] as string, command.slice(1), { cwd: queuePackage, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    // A command that cannot start (a wrapper missing here) ends the wait at once, saying why.
    child.on("error", (error) => {
      stderr += `${error.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
