// The journal as a library (@djq/queue/journal): what the queue's start-up and the bench use.
export { Compactor, type Compacted, type CompactorOptions, type LiveState } from "./compaction.js";
export { DirectoryLockedError, lockDirectory, type DirectoryLock } from "./directory-lock.js";
export { JournalAppender, fsyncModes, type AppenderOptions, type AppenderStats, type Durable, type FsyncMode } from "./journal-appender.js";
export { JournalDamagedError, replayJournal, type JournalDamage, type ReplayOptions, type Replayed } from "./journal-reader.js";
export { defaultJournalOptions, openJournal, type JournalOptions, type OpenJournal } from "./open-journal.js";
