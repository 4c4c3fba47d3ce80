// One queue process per journal directory: a second opener is refused with the holder's pid,
// whichever path it names the directory by, and the lock is free again the moment its holder
// is SIGKILLed, with nothing stale left to clean up.
import { symlink, unlink } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirectoryLockedError, lockDirectory } from "./directory-lock.js";
import { temporaryDirectory } from "./test-support/journal-fixtures.js";
import { builtJournalModule, startJournalProgram } from "./test-support/journal-program.js";

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await temporaryDirectory()));
afterEach(() => remove());

describe("the journal directory's lock", () => {
  it("refuses a second opener while the first holds it, naming the holder's pid, and is free once released", async () => {
    const lock = await lockDirectory(dir);
    const refusal = await lockDirectory(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DirectoryLockedError);
    expect((refusal as DirectoryLockedError).holderPid).toBe(process.pid);
    expect((refusal as Error).message).toBe(`the journal directory ${dir} is in use by another queue process (pid ${process.pid})`);
    await lock.release();
    await (await lockDirectory(dir)).release();
  });

  it("lets exactly one of two openers racing for it win", async () => {
    const outcomes = await Promise.allSettled([lockDirectory(dir), lockDirectory(dir)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "fulfilled") await o.value.release();
  });

  it("is the same lock whichever path names the directory", async () => {
    const lock = await lockDirectory(dir);
    await symlink(dir, `${dir}-link`);
    try {
      await expect(lockDirectory(`${dir}-link`)).rejects.toBeInstanceOf(DirectoryLockedError);
    } finally {
      await unlink(`${dir}-link`);
      await lock.release();
    }
  });

  describe("held by another process", () => {
    const built = builtJournalModule("directory-lock.js");

    it("refuses this process while the other lives and is free the moment it is SIGKILLed", async () => {
      const program = `import { lockDirectory } from ${JSON.stringify(built)};
        await lockDirectory(process.argv[1]); console.log("locked"); setInterval(() => {}, 1000);`;
      const holder = startJournalProgram(program, dir);
      try {
        await new Promise<void>((resolve) => holder.child.stdout.on("data", () => holder.stdout().includes("locked") && resolve()));
        const refusal = (await lockDirectory(dir).catch((error: unknown) => error)) as DirectoryLockedError;
        expect(refusal).toBeInstanceOf(DirectoryLockedError);
        expect(refusal.holderPid).toBe(holder.child.pid);
      } finally {
        holder.child.kill("SIGKILL");
        await holder.exited;
      }
      await (await lockDirectory(dir)).release();
    });
  });
});
