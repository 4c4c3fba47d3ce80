// Start-up on a journal directory: a fresh one gets a new identity, a reopened one keeps it and
// counts one more run, what was recorded comes back through `apply`, and a second process on
// the same directory is kept out.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JournalRecord } from "@djq/protocol";
import { DirectoryLockedError } from "./directory-lock.js";
import { defaultJournalOptions, openJournal } from "./open-journal.js";
import { keptLog, submitted, temporaryDirectory } from "./test-support/journal-fixtures.js";

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await temporaryDirectory()));
afterEach(() => remove());

const options = () => ({ ...defaultJournalOptions, dir: `${dir}/journal`, log: keptLog() });

describe("opening a journal", () => {
  it("keeps the queue's identity across starts, counts the runs, and hands back what was recorded", async () => {
    const first = await openJournal(options(), () => undefined);
    expect(first.run).toBe(1);
    expect(await first.appender.append(submitted(1))).toEqual({ ok: true });
    await first.close();

    const seen: JournalRecord[] = [];
    const second = await openJournal(options(), (record) => void seen.push(record));
    expect(second.queueId).toBe(first.queueId);
    expect(second.run).toBe(2);
    expect(seen).toEqual([
      { type: "journal-created", at: expect.any(Number), queueId: first.queueId },
      { type: "queue-started", at: expect.any(Number), queueId: first.queueId, run: 1 },
      submitted(1),
    ]);
    await second.close();
  });

  it("refuses a second opener of the same directory and lets it in once the first closes", async () => {
    const first = await openJournal(options(), () => undefined);
    await expect(openJournal(options(), () => undefined)).rejects.toBeInstanceOf(DirectoryLockedError);
    await first.close();
    const second = await openJournal(options(), () => undefined);
    expect(second.run).toBe(2);
    await second.close();
  });

  it("syncs the start's record before returning even when fsync waits for an interval", async () => {
    const journal = await openJournal({ ...options(), fsync: "interval", fsyncIntervalMs: 60_000 }, () => undefined);
    // The new segment's file and directory, then the records journal-created and queue-started.
    expect(journal.appender.stats).toEqual(expect.objectContaining({ records: 2, syncs: 3 }));
    await journal.close();
  });
});
