// Real journal directories for the journal's tests: a fresh temporary directory per test, a
// logger that keeps its lines, and records that look like a queue's.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobSnapshot, JournalRecord } from "@djq/protocol";
import { createLogger, type Logger } from "@djq/runtime";
import { JournalAppender, type AppenderOptions } from "../journal-appender.js";
import { replayJournal, type ReplayOptions, type Replayed } from "../journal-reader.js";

/** Not the system's /tmp if it is a tmpfs: fsync there is free and proves nothing. */
export async function temporaryDirectory(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env.DJQ_JOURNAL_TEST_DIR ?? tmpdir(), "djq-journal-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface KeptLog extends Logger {
  lines: { level: string; event: string; fields: Record<string, unknown> }[];
  events(name: string): Record<string, unknown>[];
}

export function keptLog(): KeptLog {
  const lines: KeptLog["lines"] = [];
  const logger = createLogger({
    program: "test",
    level: "debug",
    format: "json",
    write: (line) => {
      const { level, event, at: _at, program: _program, ...fields } = JSON.parse(line) as Record<string, unknown>;
      lines.push({ level: String(level), event: String(event), fields });
    },
  });
  return Object.assign(logger, { lines, events: (name: string) => lines.filter((l) => l.event === name).map((l) => l.fields) });
}

export const at = 1_700_000_000_000;

/** The record of the nth job once submitted: pending in line, with a payload so records differ in length. */
export function submitted(jobId: number): JobSnapshot {
  return { type: "job", jobId, spec: { payload: { n: jobId, text: "x".repeat(jobId % 7) } }, submittedAt: at + jobId, state: "pending", attempts: 0, order: jobId, history: [] };
}

/** The record of the nth job once a worker ran it under lease `jobId`: running, then completed. */
export function running(jobId: number): JobSnapshot {
  const attempt = { attempt: 1, lease: jobId, workerId: "w", startedAt: at + jobId, outcome: "running" } as const;
  return { ...submitted(jobId), state: "running", attempts: 1, listOrder: jobId, lease: jobId, workerId: "w", leaseExpiresAt: at + jobId + 60_000, history: [attempt] };
}

export function completed(jobId: number, result?: unknown): JobSnapshot {
  const { workerId: _workerId, leaseExpiresAt: _leaseExpiresAt, history, ...job } = running(jobId);
  const attempt = { ...(history[0] as JobSnapshot["history"][number]), endedAt: at + jobId + 1, outcome: "completed" } as const;
  return { ...job, state: "completed", settledAt: at + jobId + 1, history: [attempt], ...(result === undefined ? {} : { result }) };
}

export function appenderOptions(dir: string, log: Logger, overrides: Partial<AppenderOptions> = {}): AppenderOptions {
  return { dir, fileNumber: 1, nextSeq: 1, fsync: "always", fsyncIntervalMs: 50, maxRecordBytes: 1 << 20, segmentBytes: 1 << 20, log, ...overrides };
}

/** Appends each group of records in a turn of its own and waits until it is durable. */
export async function writeJournal(dir: string, groups: JournalRecord[][], overrides: Partial<AppenderOptions> = {}): Promise<JournalAppender> {
  const appender = await JournalAppender.open(appenderOptions(dir, keptLog(), overrides));
  for (const group of groups) {
    const results = await Promise.all(group.map((record) => appender.append(record)));
    for (const result of results) if (!result.ok) throw new Error(result.message);
  }
  await appender.close();
  return appender;
}

export async function replay(dir: string, overrides: Partial<ReplayOptions> = {}): Promise<{ records: JournalRecord[]; replayed: Replayed; log: KeptLog }> {
  const log = keptLog();
  const records: JournalRecord[] = [];
  const replayed = await replayJournal(dir, { maxRecordBytes: 1 << 20, startAnyway: false, log, ...overrides }, (record) => void records.push(record));
  return { records, replayed, log };
}
