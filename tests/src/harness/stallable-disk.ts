// A directory on a disk a test can stall for real: a small ext4 filesystem in a loop file, frozen
// with fsfreeze, so that every write to it blocks in the kernel until it is thawed, as on a disk
// that stopped answering. It needs root, util-linux and loop devices; `stallableDiskMissing` says
// which is absent where it cannot run, so the test that uses it skips with the reason.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Found by path: a narrowed PATH must not hide them. */
function tool(name: string): string | undefined {
  return ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map((dir) => join(dir, name)).find((path) => existsSync(path));
}

const tools = { mkfs: tool("mkfs.ext4"), mount: tool("mount"), umount: tool("umount"), fsfreeze: tool("fsfreeze") };

function missing(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (mount and fsfreeze need it)";
  for (const [name, path] of Object.entries(tools)) if (path === undefined) return `${name} is not installed`;
  if (!existsSync("/dev/loop-control")) return "no loop devices";
  return undefined;
}

export const stallableDiskMissing = missing();

export interface StallableDisk {
  /** The mounted filesystem's root. */
  dir: string;
  /** Every write to the filesystem blocks from now on. */
  freeze(): Promise<void>;
  /** Blocked writes go on. */
  thaw(): Promise<void>;
  /** Thaws, unmounts and deletes the filesystem; safe to call twice. */
  remove(): Promise<void>;
}

export async function stallableDisk(sizeBytes = 128 * 1024 * 1024): Promise<StallableDisk> {
  const { mkfs, mount, umount, fsfreeze } = tools as Record<keyof typeof tools, string>;
  const base = await mkdtemp(join(tmpdir(), "djq-stallable-"));
  const image = join(base, "disk.img");
  const dir = join(base, "mnt");
  await mkdir(dir);
  await writeFile(image, "");
  await truncate(image, sizeBytes);
  await run(mkfs, ["-q", "-F", image]);
  await run(mount, ["-o", "loop", image, dir]);
  let frozen = false;
  let removed = false;
  const thaw = async () => {
    if (!frozen) return;
    await run(fsfreeze, ["-u", dir]);
    frozen = false;
  };
  return {
    dir,
    freeze: async () => {
      await run(fsfreeze, ["-f", dir]);
      frozen = true;
    },
    thaw,
    remove: async () => {
      if (removed) return;
      removed = true;
      await thaw().catch(() => undefined);
      await run(umount, [dir]).catch(() => run(umount, ["-l", dir]));
      await rm(base, { recursive: true, force: true });
    },
  };
}
