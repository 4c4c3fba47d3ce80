// The three programs as a new user meets them: a wrong command line is refused before anything
// starts, in one line naming what is wrong, with a pointer to --help and exit code 2; the help
// texts read alike; and text a job carries cannot drive the operator's terminal.
import { describe, expect, it } from "vitest";
import { logLevels } from "@djq/runtime";
import { programs, runClient, start, startQueue, startWorker, type Program } from "./harness/processes.js";
import { queueStats } from "./harness/client-cli.js";

/** A refused command line exits at once; one that was accepted by mistake is stopped after this. */
const REFUSAL_BOUND_MS = 15_000;

async function finish(program: Program): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const timer = setTimeout(() => program.kill("SIGKILL"), REFUSAL_BOUND_MS);
  const { code } = await program.exited;
  clearTimeout(timer);
  return { code, stdout: program.stdout, stderr: program.stderr };
}

function run(script: string, args: string[]) {
  return finish(start("program", script, args));
}

const pointer = (command: string) => `Run "${command} --help" to see the flags.\n`;

describe("a wrong command line", () => {
  it.each([
    [["--port", "70000"], '--port must be a whole number from 0 to 65535, got "70000"'],
    [["--dashboard-port", "-1"], '--dashboard-port must be a whole number from 0 to 65535, got "-1"'],
    [["--hello-timeout-ms", "0"], '--hello-timeout-ms must be a whole number from 1 to 2147483647, got "0"'],
    [["--grace-ms", "3000000000"], '--grace-ms must be a whole number from 0 to 2147483647, got "3000000000"'],
    [["extra"], 'unexpected argument "extra": this command takes flags only'],
    [["--bogus"], "unknown flag --bogus"],
    [["--prot", "7070"], "unknown flag --prot (did you mean --port?)"],
    [["--max-jobs"], "--max-jobs needs a value"],
    [["--check-invariants=yes"], "--check-invariants takes no value"],
    [["--journal-max-unwritten-bytes", "4096"], "--journal-max-unwritten-bytes needs --journal DIR"],
    [["--journal", "unused", "--journal-max-unwritten-bytes", "10"], '--journal-max-unwritten-bytes must be a whole number >= 1024, got "10"'],
  ])("djq-queue %j exits 2 before listening, saying so in one line", async (args, message) => {
    const result = await run(programs.queue, ["--log-format", "json", ...args]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: `${message}\n${pointer("djq-queue")}` });
  });

  it.each([
    [["positional"], 'unexpected argument "positional": this command takes flags only'],
    [["--port", "0"], '--port must be a whole number from 1 to 65535, got "0"'],
    [["--concurrency", "1001"], '--concurrency must be a whole number from 1 to 1000, got "1001"'],
    [["--log-level", "loud"], '--log-level must be one of debug, info, warn, error, silent, got "loud"'],
  ])("djq-worker %j exits 2 before connecting, saying so in one line", async (args, message) => {
    const result = await run(programs.worker, args);
    expect(result).toEqual({ code: 2, stdout: "", stderr: `${message}\n${pointer("djq-worker")}` });
  });

  it.each([
    [["submit", "--count"], "--count needs a value", "djq submit"],
    [["submit", "--count", "abc"], '--count must be a whole number from 1 to 10000000, got "abc"', "djq submit"],
    [["submit", "--priority", "10"], '--priority must be at most 9, got "10"', "djq submit"],
    [["submit", "--delay-ms", "-5"], '--delay-ms must be at least 0, got "-5"', "djq submit"],
    [["submit", "--wiat"], "unknown flag --wiat (did you mean --wait?)", "djq submit"],
    [["submit", "stray"], 'unexpected argument "stray": this command takes flags only', "djq submit"],
    [["stats", "--port", "65536"], '--port must be a whole number from 1 to 65535, got "65536"', "djq stats"],
    [["list", "--state", "pending", "--limit", "0"], '--limit must be a whole number from 1 to 500, got "0"', "djq list"],
    [["status", "1", "2"], 'unexpected argument "2"', "djq status"],
    [["watch", "--interval-ms", "5"], '--interval-ms must be a whole number from 100 to 2147483647, got "5"', "djq watch"],
  ])("djq %j exits 2 before sending, saying so in one line", async (args, message, command) => {
    const result = await run(programs.client, args);
    expect(result).toEqual({ code: 2, stdout: "", stderr: `${message}\n${pointer(command)}` });
  });

  it("djq submit --priority 10 reaches no queue: nothing is submitted", async () => {
    const queue = await startQueue();
    const result = await runClient(queue.port, ["submit", "--priority", "10"]);
    expect(result.code).toBe(2);
    expect((await queueStats(queue.port)).totals.submitted).toBe(0);
  });
});

describe("the help texts", () => {
  const helps: [string, string, string[]][] = [
    ["djq-queue", programs.queue, []],
    ["djq-worker", programs.worker, []],
    ["djq", programs.client, []],
    ...["submit", "status", "stats", "watch", "list", "cancel", "retry", "pause", "resume"].map((name): [string, string, string[]] => [`djq ${name}`, programs.client, [name]]),
  ];

  it.each(helps)("%s --help reads like the others: one Usage line, -h, --help, upper-case placeholders, aligned columns", async (_name, script, args) => {
    const { code, stdout } = await run(script, [...args, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
    expect(stdout).toContain("  -h, --help ");
    expect(stdout).not.toMatch(/<[a-z-]+>/);
    // Within each block of flags, every description starts in one column.
    for (const block of stdout.split("\n\n")) {
      const columns = new Set<number>();
      for (const line of block.split("\n")) {
        const row = /^( {2}-\S*(?: --\S+)?(?: [A-Z][A-Z_,-]*)? {2,})\S/.exec(line);
        if (row !== null) columns.add(row[1]!.length);
      }
      expect(columns.size, block).toBeLessThanOrEqual(1);
    }
    if (stdout.includes("--log-level")) expect(stdout).toContain(logLevels.join("|"));
  });
});

describe("text a job carries", () => {
  it("reaches status and list without its control characters, on one line", async () => {
    const queue = await startQueue();
    const worker = await startWorker(queue.port);
    await worker.waitForEvent("welcome");
    const hostile = "boom\u001b[2J\u001b]0;owned\u0007\nsecond line";
    const args = ["submit", "--payload", JSON.stringify({ fail: hostile }), "--max-attempts", "1", "--duration", "0", "--wait"];
    expect((await runClient(queue.port, args)).code).toBe(1);
    const status = await runClient(queue.port, ["status", "1"]);
    const list = await runClient(queue.port, ["list", "--state", "failed"]);
    for (const output of [status.stdout, list.stdout]) {
      expect(output).toContain("boom");
      expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(output).not.toMatch(/^second line/m);
    }
    expect(status.stdout).toMatch(/^ {2}error {6}boom .*second line$/m);
  });

  it("reaches submit --wait --verbose without its control characters", async () => {
    const queue = await startQueue();
    const worker = await startWorker(queue.port);
    await worker.waitForEvent("welcome");
    const args = ["submit", "--payload", JSON.stringify({ fail: "boom\u001b[2J\nsecond line" }), "--max-attempts", "1", "--duration-ms", "0", "--wait", "--verbose"];
    const submitted = await runClient(queue.port, args);
    expect(submitted.code).toBe(1);
    expect(submitted.stdout).toContain("job 1 failed: boom [2J second line\n");
    expect(submitted.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it("submit --wait without --verbose prints the summary, not a line per job", async () => {
    const queue = await startQueue();
    const worker = await startWorker(queue.port);
    await worker.waitForEvent("welcome");
    const submitted = await runClient(queue.port, ["submit", "--count", "5", "--duration", "0", "--wait"]);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).not.toMatch(/^job \d+ completed/m);
    expect(submitted.stdout).toMatch(/^5 jobs settled: 5 completed, 0 failed, 0 cancelled$/m);
  });
});

describe("the logs", () => {
  it("write a worker's queues as a JSON array in the queue's JSON log", async () => {
    const queue = await startQueue();
    await startWorker(queue.port, ["--queues", "a,b"]);
    const connected = await queue.waitForEvent("worker.connected");
    expect(connected.queues).toEqual(["a", "b"]);
  });
});
