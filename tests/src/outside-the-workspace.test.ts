// djq as a user meets it: the packages packed as they would be published (`pnpm pack:all`: each
// program carries the @djq libraries it needs), installed with plain npm (no workspace, no pnpm)
// into a fresh folder outside the repository, and used from there: a user's TypeScript worker with
// a typed handler, a user's client that submits and waits, the installed djq, djq-queue and
// djq-worker commands, and djq installed globally from the client's tarball alone. Nothing here may resolve inside the repository:
// the folder lives under the system's temporary directory, so an import or a command that still
// needs the monorepo fails. Only the compiler and Node's type declarations come from the repository,
// as a developer's own tools would.
import { execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Program, type QueueProcess } from "./harness/processes.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = fileURLToPath(new URL("../fixtures/own-project/", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const packAll = join(root, "scripts", "pack-all.mjs");
/** What the user's project imports or runs: no @djq library tarball beside them. */
const programTarballs = ["client", "worker", "queue"].map((name) => `djq-${name}-0.1.0.tgz`);

let folder: string;
let tarballs: string;
let project: string;

/** The environment without what pnpm and vitest set, so npm behaves as it would in a user's shell. */
function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|PNPM_|VITEST|INIT_CWD)/i.test(name)));
  return { ...env, ...extra };
}

/** Runs a command to its end; rejects with its output if it fails. */
function run(command: string, args: string[], cwd: string, env = userEnvironment()): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd, env, timeout: 90_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end(); // nothing asks; an open stdin must not keep anything waiting
  });
}

/** An installed command started the way a shell starts it: the file itself, through its #! line. */
function startCommand(name: string, file: string, args: string[], env: Record<string, string> = {}): Program {
  return new Program(name, spawn(file, args, { cwd: project, stdio: ["ignore", "pipe", "pipe"], env: userEnvironment(env) }));
}

async function startInstalledQueue(): Promise<QueueProcess> {
  const queue = startCommand("queue", join(project, "node_modules/.bin/djq-queue"), ["--port", "0", "--log-format", "json"]);
  const listening = await queue.waitForEvent("queue.listening");
  return Object.assign(queue, { port: listening.port as number });
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "djq-outside-"));
  tarballs = join(folder, "tarballs");
  project = join(folder, "my-app");
  await run(process.execPath, [packAll, tarballs], root, process.env);
  await mkdir(project);
  await writeFile(join(project, "package.json"), `${JSON.stringify({ name: "my-app", private: true, type: "module" }, null, 2)}\n`);
  const packed = (await readdir(tarballs)).filter((file) => file.endsWith(".tgz"));
  expect(packed.sort()).toEqual(["client", "core", "protocol", "queue", "runtime", "worker"].map((name) => `djq-${name}-0.1.0.tgz`));
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...programTarballs.map((file) => join(tarballs, file)), "zod@^4"], project);
  await cp(fixtures, project, { recursive: true });
}, 180_000);

/** npm and the compiler take seconds alone and much longer on a loaded machine. */
const SLOW_STEP_MS = 120_000;

afterAll(async () => {
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

describe("djq installed from its packed tarballs into a project outside the repository", () => {
  it("installs djq, djq-queue and djq-worker commands that print their version", async () => {
    for (const command of ["djq", "djq-queue", "djq-worker"]) {
      const { stdout } = await run(join(project, "node_modules/.bin", command), ["--version"], project);
      expect(stdout).toBe("0.1.0\n");
    }
  });

  it("compiles a user's worker against the installed types and runs it with a typed handler, and a user's client submits and waits", async () => {
    await run(process.execPath, [tsc, "-p", "tsconfig.json", "--typeRoots", join(root, "node_modules/@types")], project);
    const queue = await startInstalledQueue();
    const worker = new Program("my-worker", spawn(process.execPath, ["dist/worker.js"], { cwd: project, stdio: ["ignore", "pipe", "pipe"], env: userEnvironment({ DJQ_PORT: String(queue.port) }) }));
    await queue.waitForEvent("worker.connected");
    const { stdout } = await run(process.execPath, ["dist/client.js"], project, userEnvironment({ DJQ_PORT: String(queue.port) }));
    expect(JSON.parse(stdout)).toEqual({ jobId: 1, state: "completed", result: { resized: "https://example.com/cat.png", width: 640 } });
    expect(worker.stdout).toMatch(/^worker \S+ ready\n$/);
  }, SLOW_STEP_MS);

  it("runs the installed djq-worker and djq commands against the installed djq-queue, with --json output that parses", async () => {
    const queue = await startInstalledQueue();
    const env = { DJQ_PORT: String(queue.port) };
    startCommand("djq-worker", join(project, "node_modules/.bin/djq-worker"), ["--log-format", "json"], env);
    await queue.waitForEvent("worker.connected");
    const djq = join(project, "node_modules/.bin/djq");
    const submitted = await run(djq, ["submit", "--duration", "10", "--wait", "--json"], project, userEnvironment(env));
    expect(JSON.parse(submitted.stdout)).toMatchObject([{ jobId: 1, state: "completed" }]);
    const status = await run(djq, ["status", "1", "--json"], project, userEnvironment(env));
    expect(JSON.parse(status.stdout)).toMatchObject({ jobId: 1, state: "completed" });
  });

  it("gives a working djq command after npm install --global of the client tarball alone", async () => {
    const prefix = join(folder, "global");
    // Not --offline: an @djq library the tarball did not carry would be asked of the registry,
    // which has none, and the install would fail. zod and async-mutex come from the registry.
    await run("npm", ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", join(tarballs, "djq-client-0.1.0.tgz")], folder);
    const djq = join(prefix, "bin", "djq");
    expect((await run(djq, ["--version"], folder)).stdout).toBe("0.1.0\n");
    const queue = await startInstalledQueue();
    const env = { DJQ_PORT: String(queue.port) };
    startCommand("djq-worker", join(project, "node_modules/.bin/djq-worker"), ["--log-format", "json"], env);
    await queue.waitForEvent("worker.connected");
    const submitted = await run(djq, ["submit", "--duration", "10", "--wait", "--json"], folder, userEnvironment(env));
    expect(JSON.parse(submitted.stdout)).toMatchObject([{ jobId: 1, state: "completed" }]);
  }, SLOW_STEP_MS);
});
