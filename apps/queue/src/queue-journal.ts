// The journal as the broker uses it: opened before the queue serves (the core restored from it),
// each turn's changes appended as one batch that the turn's output waits for, compaction when the
// tail outgrows the live state, and `journal-unavailable` once a write failed.
import type { JournalRecord } from "@djq/protocol";
import type { QueueCore } from "@djq/core";
import type { Logger } from "@djq/runtime";
import { DurabilityGate } from "./durability-gate.js";
import { JournalBacklog } from "./journal-backlog.js";
import { openJournal, type FsyncMode, type OpenJournal } from "./journal/index.js";
import { defaultJournalOptions } from "./journal/open-journal.js";
import { withPendingRuns } from "./journal/pending-runs.js";
import type { TurnListener } from "./turns.js";

export interface JournalSettings {
  dir: string;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  startAnyway: boolean;
  /** After recovery, how long running jobs wait under their leases for their workers to say hello again. */
  recoveryGraceMs: number;
  /** Compaction waits until the segments since the last snapshot hold at least this much. */
  minCompactBytes: number;
  /** A segment past this size is closed and the next batch starts a new one. */
  segmentBytes: number;
  /** Past this many bytes of records not yet durable and replies held for them, requests from clients and workers wait unread. */
  maxUnwrittenBytes: number;
}

export const defaultJournalSettings: Omit<JournalSettings, "dir"> = {
  fsync: "always",
  fsyncIntervalMs: defaultJournalOptions.fsyncIntervalMs,
  startAnyway: false,
  recoveryGraceMs: 10_000,
  minCompactBytes: defaultJournalOptions.minCompactBytes,
  segmentBytes: defaultJournalOptions.segmentBytes,
  maxUnwrittenBytes: 64 * 1024 * 1024,
};

export class QueueJournal implements TurnListener {
  readonly gate: DurabilityGate;
  readonly backlog: JournalBacklog;

  private constructor(
    private readonly opened: OpenJournal,
    private readonly core: QueueCore,
    private readonly log: Logger,
    maxUnwrittenBytes: number,
  ) {
    this.backlog = new JournalBacklog(maxUnwrittenBytes, log);
    this.gate = new DurabilityGate(opened.appender);
  }

  /** Takes the directory's lock, restores `core` from every record, and records this start. */
  static async open(settings: JournalSettings, core: QueueCore, now: () => number, log: Logger): Promise<QueueJournal> {
    const started = Date.now();
    const opened = await openJournal({ ...defaultJournalOptions, ...settings, log }, (record) => core.restore(record));
    core.finishRestore(now(), settings.recoveryGraceMs);
    const counts = core.counts;
    log.info("journal.recovered", {
      ms: Date.now() - started,
      records: opened.replayed.records,
      pending: counts.pending,
      delayed: counts.delayed,
      running: counts.running,
      settled: counts.completed + counts.failed + counts.cancelled,
      graceMs: settings.recoveryGraceMs,
    });
    const journal = new QueueJournal(opened, core, log, settings.maxUnwrittenBytes);
    if (opened.replayed.mustCompact) await journal.compact();
    return journal;
  }

  /** The queue's identity: the same on every start over this journal. */
  get queueId(): string {
    return this.opened.queueId;
  }

  get run(): number {
    return this.opened.run;
  }

  /** Why no more changes can be recorded, once a write failed. */
  get unavailable(): string | undefined {
    return this.opened.appender.unavailable;
  }

  /** After each event: its changes go into this turn's batch, and output waits for the batch.
   * `awaited`: whether the event's sender waits on its reply to go on (see JournalAppender.append). */
  record(awaited: boolean): void {
    const records: JournalRecord[] = this.core.takeChanges();
    if (records.length === 0 || this.unavailable !== undefined) return;
    const appender = this.opened.appender;
    const appendedBefore = appender.stats.appendedBytes;
    let durable!: ReturnType<OpenJournal["appender"]["append"]>;
    for (const record of withPendingRuns(records)) durable = appender.append(record, awaited);
    this.gate.hold(durable, appender.seq);
    this.backlog.appended(appender.stats.appendedBytes - appendedBefore, durable);
    if (this.opened.compactor.due) void this.compact();
  }

  beginTurn(): void {
    this.opened.appender.beginTurn();
  }

  /** Every socket's frames of this turn are handled: its records go into a write. */
  endTurn(): void {
    this.opened.appender.endTurn();
  }

  async compact(): Promise<void> {
    const core = this.core;
    const outcome = await this.opened.compactor.compact(() => {
      const live = core.snapshot();
      return {
        header: { at: Date.now(), queueId: this.queueId, run: this.run, lastJobId: live.lastJobId, lastLease: live.lastLease, lastOrder: live.lastOrder, lastListOrder: live.lastListOrder, pausedQueues: live.pausedQueues, totals: live.totals },
        records: live.records,
      };
    });
    if (!outcome.ok) this.log.warn("journal.compaction-skipped", { reason: outcome.message });
  }

  /** Writes and syncs what is appended, then lets the directory go, saying what this run wrote. */
  async close(): Promise<void> {
    await this.opened.close();
    const { records, batches, syncs, bytes } = this.opened.appender.stats;
    this.log.info("journal.closed", { records, writes: batches, syncs, bytes });
  }
}
