// `djq watch`: the operator's live view — one stats request per interval, shown as a screen redrawn
// in place on a terminal, or as appended lines anywhere else. What a frame or a line says is
// decided in live-view-frame.ts and live-view-log.ts; this file only polls, draws and cleans up.
import { QueueError, integerFlag, parseFlags } from "@djq/runtime";
import type { DjqClient, StatsSnapshot } from "../client.js";
import { UsageError, type CliIo, type Command } from "./command.js";
import { connectionFlags, connectionUsage, queueAddress, withClient } from "./connection-flags.js";
import { RecentEventFeed } from "./recent-events.js";
import { formatDurationMs, formatInstant } from "./time-format.js";
import { renderFrame } from "./live-view-frame.js";
import { eventLine, problemLine, restartLine, summaryLine } from "./live-view-log.js";

const usage = `Usage: djq watch [flags]

Shows the queue live: jobs per state, jobs per second, each worker's current jobs with their
progress and heartbeat, queues, and the latest reassignments and failures with their reasons.
On a terminal the view is redrawn in place (Ctrl-C quits). Elsewhere it appends one summary line
per interval and one line per queue event not printed before; with --json, one stats snapshot
per line.

  --interval-ms MS       time between refreshes (default 1000, at least 100)
  --once                 print the view once and exit

${connectionUsage}`;

const liveViewFlags = {
  ...connectionFlags,
  "interval-ms": { type: "string" },
  once: { type: "boolean", default: false },
} as const;

const MIN_INTERVAL_MS = 100;
const DEFAULT_COLUMNS = 80;

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_SCREEN = "\x1b[2J";
const CURSOR_HOME = "\x1b[H";
const CLEAR_TO_LINE_END = "\x1b[K";
const CLEAR_TO_SCREEN_END = "\x1b[J";

/** The terminal around the process, injectable so the loop runs in tests without signals. */
export interface LiveViewTerminal {
  size(): { columns: number | undefined; rows: number | undefined };
  /**
   * Calls `stop` on Ctrl-C (SIGINT) or SIGTERM, `resize` when the window changes size, and
   * `atExit` when the process exits, even if another handler ends it before the live view returns.
   * Returns a function that removes the hooks.
   */
  listen(hooks: { stop(): void; resize(): void; atExit(): void }): () => void;
}

export const processTerminal: LiveViewTerminal = {
  size: () => ({ columns: process.stdout.columns, rows: process.stdout.rows }),
  listen({ stop, resize, atExit }) {
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      stop();
    };
    // main.ts's shutdown handler may exit before the live view's loop unwinds: the cursor comes back
    // anyway, and a live view the operator stopped ends in success, not in 130.
    const onExit = () => {
      atExit();
      if (interrupted) process.exitCode = 0;
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("exit", onExit);
    process.stdout.on("resize", resize);
    return () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (!interrupted) process.off("exit", onExit);
      process.stdout.off("resize", resize);
    };
  },
};

/** Where snapshots go: a redrawn screen, appended lines, or JSON lines. */
interface View {
  show(stats: StatsSnapshot): void;
  /** No snapshot this interval: the request is still unanswered, or failed with `message`. */
  problem(message: string): void;
  redraw(): void;
  end(): void;
}

class ScreenView implements View {
  private last: StatsSnapshot | undefined;
  private status: string | undefined;
  private restartNote: string | undefined;
  private ended = false;

  constructor(
    private readonly io: CliIo,
    private readonly terminal: LiveViewTerminal,
    private readonly source: string,
    private readonly intervalMs: number,
  ) {
    io.out(HIDE_CURSOR + CLEAR_SCREEN);
  }

  show(stats: StatsSnapshot): void {
    if (this.last !== undefined && this.last.queueRunId !== stats.queueRunId) {
      this.restartNote = `the queue restarted at ${formatInstant(stats.at)} (run ${this.last.queueRunId} is gone)`;
    }
    this.last = stats;
    this.status = undefined;
    this.redraw();
  }

  problem(message: string): void {
    this.status = message;
    this.redraw();
  }

  redraw(): void {
    if (this.ended) return;
    const { columns, rows } = this.terminal.size();
    const status = this.status ?? this.restartNote;
    const lines =
      this.last === undefined
        ? [`djq watch  ${this.source}  ${status ?? "waiting for the first answer"}`]
        : renderFrame(this.last, {
            source: this.source,
            intervalMs: this.intervalMs,
            columns: columns ?? DEFAULT_COLUMNS,
            ...(rows !== undefined ? { rows } : {}),
            ...(status !== undefined ? { status } : {}),
          });
    this.io.out(CURSOR_HOME + lines.map((line) => line + CLEAR_TO_LINE_END).join("\n") + CLEAR_TO_SCREEN_END);
  }

  /** Leaves the last frame on screen with the cursor visible below it. Safe to call twice. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.io.out(`${SHOW_CURSOR}\n`);
  }
}

class LogView implements View {
  private readonly feed = new RecentEventFeed();
  private runId: string | undefined;

  constructor(private readonly io: CliIo) {}

  /** New events first (they happened before the snapshot), then the summary: the log stays in time order. */
  show(stats: StatsSnapshot): void {
    if (this.runId !== undefined && this.runId !== stats.queueRunId) this.io.out(`${restartLine(stats)}\n`);
    this.runId = stats.queueRunId;
    for (const event of this.feed.take(stats)) this.io.out(`${eventLine(event)}\n`);
    this.io.out(`${summaryLine(stats)}\n`);
  }

  problem(message: string): void {
    this.io.out(`${problemLine(this.io.now(), message)}\n`);
  }

  redraw(): void {}
  end(): void {}
}

class JsonView implements View {
  constructor(private readonly io: CliIo) {}
  show(stats: StatsSnapshot): void {
    this.io.out(`${JSON.stringify(stats)}\n`);
  }
  problem(message: string): void {
    this.io.err(`${problemLine(this.io.now(), message)}\n`);
  }
  redraw(): void {}
  end(): void {}
}

export function createLiveViewCommand(terminal: LiveViewTerminal): Command {
  async function run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseFlags(argv, liveViewFlags, usage);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const intervalMs = integerFlag("interval-ms", values["interval-ms"], 1_000, MIN_INTERVAL_MS);
    const { host, port } = queueAddress(values, io);
    const source = `${host}:${port}`;
    const json = values.json === true;

    if (values.once === true) {
      const stats = await withClient(values, io, (client) => client.stats());
      if (json) new JsonView(io).show(stats);
      else if (!io.isTTY) new LogView(io).show(stats);
      else {
        const columns = terminal.size().columns ?? DEFAULT_COLUMNS;
        io.out(`${renderFrame(stats, { source, intervalMs, columns }).join("\n")}\n`);
      }
      return 0;
    }

    const screen = !json && io.isTTY;
    // Reconnect warnings on stderr would tear a redrawn screen; the frame's status line says it.
    const connectionIo = screen ? { ...io, err: () => undefined } : io;
    return withClient(values, connectionIo, async (client) => {
      const view: View = json ? new JsonView(io) : screen ? new ScreenView(io, terminal, source, intervalMs) : new LogView(io);
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const unlisten = terminal.listen({ stop, resize: () => view.redraw(), atExit: () => view.end() });
      try {
        await poll(client, view, io, intervalMs, stopped);
        return 0;
      } finally {
        unlisten();
        view.end();
      }
    });
  }

  return { name: "watch", summary: "show workers, jobs and throughput live", usage, run };
}

export const liveViewCommand = createLiveViewCommand(processTerminal);

type Reply = { stats: StatsSnapshot } | { error: Error };

/**
 * One stats request per interval until `stopped`. A request the queue does not answer within an
 * interval is reported (the client is reconnecting) and still awaited; a failed one is reported
 * and the next interval tries again. Only a refusal by the queue (a QueueError) ends the live view.
 */
async function poll(client: DjqClient, view: View, io: CliIo, intervalMs: number, stopped: Promise<void>): Promise<void> {
  const stop = stopped.then(() => "stop" as const);
  for (;;) {
    const startedAt = io.now();
    const reply: Promise<Reply> = client.stats().then(
      (stats) => ({ stats }),
      (error: unknown) => ({ error: error as Error }),
    );
    for (;;) {
      const late = timer(intervalMs);
      const outcome = await Promise.race([reply, late.done.then(() => "late" as const), stop]);
      late.cancel();
      if (outcome === "stop") return;
      if (outcome === "late") {
        view.problem(`no answer from the queue for ${formatDurationMs(io.now() - startedAt)}`);
        continue;
      }
      if ("stats" in outcome) view.show(outcome.stats);
      else if (outcome.error instanceof QueueError) throw outcome.error;
      else view.problem(outcome.error.message);
      break;
    }
    const rest = timer(Math.max(0, intervalMs - (io.now() - startedAt)));
    const outcome = await Promise.race([rest.done, stop]);
    rest.cancel();
    if (outcome === "stop") return;
  }
}

function timer(ms: number): { done: Promise<void>; cancel(): void } {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => (handle = setTimeout(resolve, ms)));
  return { done, cancel: () => clearTimeout(handle) };
}
