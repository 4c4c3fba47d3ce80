import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo } from "../test-support/capture-io.js";
import { FakeQueue } from "@djq/runtime/testing";
import { snapshotAt, statsSnapshot } from "../test-support/stats-snapshot.js";
import { createLiveViewCommand, type LiveViewTerminal } from "./live-view.js";

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_SCREEN = "\x1b[2J";
const CURSOR_HOME = "\x1b[H";

/** A terminal the test resizes and interrupts by hand. */
function fakeTerminal(columns = 100, rows = 40) {
  let hooks: Parameters<LiveViewTerminal["listen"]>[0] | undefined;
  const terminal: LiveViewTerminal = {
    size: () => ({ columns, rows }),
    listen(given) {
      hooks = given;
      return () => (hooks = undefined);
    },
  };
  return {
    terminal,
    get listening() {
      return hooks !== undefined;
    },
    interrupt: () => hooks?.stop(),
  };
}

const { recent } = statsSnapshot();
const first = statsSnapshot({ recent: recent.slice(0, 2) });
const second = statsSnapshot({ at: snapshotAt + 1_000, recent });

let queue: FakeQueue;
beforeEach(async () => {
  queue = await FakeQueue.start();
});
afterEach(async () => {
  await queue.stop();
});

describe("djq watch --once", () => {
  it("prints the recent events, then one summary line, when stdout is not a terminal", async () => {
    const io = captureIo();
    const running = createLiveViewCommand(fakeTerminal().terminal).run(["--once", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), { type: "stats", ...first });
    expect(await running).toBe(0);
    expect(io.stdout).toBe(
      [
        'at=2025-01-02T03:04:01.000Z event=reassigned job=17 worker=w-0 reason="worker w-0 disconnected"',
        'at=2025-01-02T03:04:02.500Z event=retry-scheduled job=12 reason="attempt 1 failed: boom; retry in 200 ms"',
        "at=2025-01-02T03:04:05.000Z delayed=1 pending=3 running=3 completed=120 failed=2 cancelled=0 jobs/s=41.0 jobs/s_1m=5.4 workers=3 busy=2 oldest_pending_ms=1234",
        "",
      ].join("\n"),
    );
  });

  it("prints one frame without escape codes on a terminal", async () => {
    const io = captureIo({ isTTY: true });
    const running = createLiveViewCommand(fakeTerminal(60).terminal).run(["--once", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), { type: "stats", ...first });
    expect(await running).toBe(0);
    expect(io.stdout).not.toContain("\x1b");
    const lines = io.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([`djq watch  127.0.0.1:${queue.port}  run 1a2b3c4d`, "           2025-01-02T03:04:05.000Z  every 1s"]);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(60);
    expect(lines).toContain("workers  3 connected, 2 busy");
  });

  it("prints the snapshot as JSON with --json", async () => {
    const io = captureIo();
    const running = createLiveViewCommand(fakeTerminal().terminal).run(["--once", "--json", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), { type: "stats", ...first });
    expect(await running).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual(first);
  });
});

describe("djq watch", () => {
  it("appends a summary per interval and each event once when stdout is not a terminal", async () => {
    const io = captureIo();
    const screen = fakeTerminal();
    const running = createLiveViewCommand(screen.terminal).run(["--interval-ms", "100", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), { type: "stats", ...first });
    conn.reply(await conn.expect("stats"), { type: "stats", ...second });
    await conn.expect("stats");
    screen.interrupt();
    expect(await running).toBe(0);
    expect(screen.listening).toBe(false);
    const lines = io.stdout.trimEnd().split("\n");
    expect(lines.map((line) => line.match(/^at=\S+ (event=\S+|delayed)/)?.[1])).toEqual([
      "event=reassigned",
      "event=retry-scheduled",
      "delayed",
      "event=failed",
      "delayed",
    ]);
    expect(lines[4]).toMatch(/^at=2025-01-02T03:04:06.000Z delayed=1 /);
  });

  it("redraws in place on a terminal and gives the cursor back when interrupted", async () => {
    const io = captureIo({ isTTY: true });
    const screen = fakeTerminal(100, 40);
    const running = createLiveViewCommand(screen.terminal).run(["--interval-ms", "100", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.reply(await conn.expect("stats"), { type: "stats", ...first });
    conn.reply(await conn.expect("stats"), { type: "stats", ...second });
    await conn.expect("stats");
    screen.interrupt();
    expect(await running).toBe(0);
    expect(io.stdout.startsWith(HIDE_CURSOR + CLEAR_SCREEN + CURSOR_HOME)).toBe(true);
    expect(io.stdout.endsWith(`${SHOW_CURSOR}\n`)).toBe(true);
    const frames = io.stdout.split(CURSOR_HOME).slice(1);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toContain("2025-01-02T03:04:06.000Z");
    // Every line clears what an older, longer frame left behind.
    const lines = frames[1]!.split("\n");
    expect(lines.slice(0, -2).every((line) => line.endsWith("\x1b[K"))).toBe(true);
    expect(lines.at(-2)).toMatch(/\x1b\[K\x1b\[J\x1b\[\?25h$/);
  });

  it("says the queue has not answered instead of freezing, and shows the answer when it comes", async () => {
    const io = captureIo();
    const screen = fakeTerminal();
    const running = createLiveViewCommand(screen.terminal).run(["--interval-ms", "100", "--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    const request = await conn.expect("stats");
    await new Promise((resolve) => setTimeout(resolve, 250));
    conn.reply(request, { type: "stats", ...first, recent: [] });
    await conn.expect("stats");
    screen.interrupt();
    expect(await running).toBe(0);
    const lines = io.stdout.trimEnd().split("\n");
    // One line per interval without an answer (the test's clock stands still, hence 0 ms).
    const waiting = lines.slice(0, -1);
    expect(waiting.length).toBeGreaterThanOrEqual(1);
    for (const line of waiting) expect(line).toBe('at=2023-11-14T22:13:20.000Z error="no answer from the queue for 0 ms"');
    expect(lines.at(-1)).toMatch(/^at=2025-01-02T03:04:05.000Z delayed=1 /);
  });

  it("stops and gives the cursor back when the queue refuses the request", async () => {
    const io = captureIo({ isTTY: true });
    const screen = fakeTerminal();
    const running = createLiveViewCommand(screen.terminal).run(["--port", String(queue.port)], io);
    const conn = await queue.nextConnection();
    conn.replyError(await conn.expect("stats"), "auth-failed", "not allowed");
    await expect(running).rejects.toThrow("not allowed");
    expect(io.stdout.endsWith(`${SHOW_CURSOR}\n`)).toBe(true);
    expect(screen.listening).toBe(false);
  });
});
