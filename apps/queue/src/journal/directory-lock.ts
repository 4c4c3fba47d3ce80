// Keeps a second queue process out of a journal directory that one is using. The lock is a
// Unix socket in Linux's abstract namespace, named after the directory's device and inode: the
// kernel binds a name to one socket at a time (a second bind fails at once, so two starts
// racing cannot both win) and releases it when its process dies, however it dies, SIGKILL
// included. A lock file would outlive a killed holder and its pid could be reused by then; no
// lock file means nothing stale to judge. Node has no flock.
import { stat } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";

export class DirectoryLockedError extends Error {
  constructor(readonly dir: string, readonly holderPid: number | undefined) {
    super(`the journal directory ${dir} is in use by another queue process${holderPid === undefined ? "" : ` (pid ${holderPid})`}`);
    this.name = "DirectoryLockedError";
  }
}

export interface DirectoryLock {
  release(): Promise<void>;
}

/** Takes the directory's lock, or throws DirectoryLockedError naming the holder's pid. */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  if (process.platform !== "linux") throw new Error(`the journal's directory lock needs Linux's abstract sockets; this is ${process.platform}`);
  const { dev, ino } = await stat(dir);
  // Device and inode, not the path: two paths to one directory (a symlink, a relative path)
  // take the same lock.
  const name = `\0djq-journal-${dev}-${ino}`;
  // A connection is only ever the next opener asking who holds the lock: tell it and hang up.
  const server = createServer((socket) => socket.end(`${process.pid}\n`));
  try {
    await listen(server, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new DirectoryLockedError(dir, await askHolder(name));
    throw error;
  }
  // The lock must not keep a queue that is otherwise done from exiting.
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The holder's pid, if it answers within a second; the refusal stands either way. */
function askHolder(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = createConnection({ path: name });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on("data", (data) => (answer += data.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const pid = Number.parseInt(answer, 10);
      resolve(Number.isInteger(pid) && pid > 0 ? pid : undefined);
    });
  });
}
