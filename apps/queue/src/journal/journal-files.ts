// The journal directory's layout: numbered segment files holding records in order, and
// snapshot files, where snapshot N holds the live state as it stood when segment N began.
// Recovery reads the newest snapshot and the segments numbered from it on; anything older is
// left over from a compaction that was cut short and is deleted.
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";

export type JournalFileKind = "segment" | "snapshot";

export interface JournalFile {
  kind: JournalFileKind;
  number: number;
  path: string;
}

export interface JournalLayout {
  /** The snapshot to start from, if compaction ever finished. */
  snapshot: JournalFile | undefined;
  /** The segments after it, oldest first: the tail to replay. */
  segments: JournalFile[];
  /** Files a finished compaction no longer needs and a cut-short one left behind. */
  obsolete: string[];
}

const NAME = /^(segment|snapshot)-(\d{12})\.djqj$/;

export function journalFileName(kind: JournalFileKind, number: number): string {
  return `${kind}-${String(number).padStart(12, "0")}.djqj`;
}

/** Where a snapshot is written before the rename that makes it count. */
export function temporaryName(name: string): string {
  return `${name}.tmp`;
}

export async function readLayout(dir: string): Promise<JournalLayout> {
  const files: JournalFile[] = [];
  const obsolete: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const match = NAME.exec(name);
    if (match !== null) files.push({ kind: match[1] as JournalFileKind, number: Number(match[2]), path: join(dir, name) });
    else if (name.endsWith(".djqj.tmp")) obsolete.push(join(dir, name));
  }
  files.sort((a, b) => a.number - b.number || (a.kind === "snapshot" ? -1 : 1));
  const snapshots = files.filter((f) => f.kind === "snapshot");
  const snapshot = snapshots[snapshots.length - 1];
  const from = snapshot?.number ?? 0;
  for (const file of files) if (file.number < from || (file.kind === "snapshot" && file !== snapshot)) obsolete.push(file.path);
  const segments = files.filter((f) => f.kind === "segment" && f.number >= from);
  return { snapshot, segments, obsolete };
}

/** The number the next new file takes: above every file there is. */
export function nextFileNumber(layout: JournalLayout): number {
  const last = layout.segments[layout.segments.length - 1]?.number ?? 0;
  return Math.max(last, layout.snapshot?.number ?? 0) + 1;
}

/** Makes a create, rename or delete in `dir` survive a power loss, not only a process crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
