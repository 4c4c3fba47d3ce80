// A peer in the same run: B's, C's and U's shapes through beanstalkd, the classic in-memory queue
// server djq sets out to replace, with bare peers (beanstalk-peer.ts) like the floor's. Figures
// from another machine do not carry to this one; beanstalkd measured beside djq does. With the
// journal, beanstalkd also runs B with its binlog: fsync at most every 50 ms (its default, what
// djq's `interval` compares with) and fsync on every write (`-f 0`, what `always` compares with).
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { freePort, killAll, programs, spawnCommand, type Program } from "../processes.js";
import { userQueue } from "../user-job.js";
import { measureBareSerial, SETUP_MS, startBarePeers, type BareSerialRun, type BareSystem } from "./floor.js";
import { measurePaced, type PacedRun } from "./paced-latency.js";
import { measureOneByOne, type OneByOneRun } from "./user-shape.js";

/** How beanstalkd keeps its jobs: in memory only, or with a binlog synced every `fsyncMs` (0: every write). */
export type Binlog = "off" | { fsyncMs: number };

/** The beanstalkd on PATH, or undefined: the bench runs it only where it is installed. */
export function findBeanstalkd(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, "beanstalkd");
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

async function listening(port: number, server: Program): Promise<void> {
  const deadline = Date.now() + SETUP_MS;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`beanstalkd did not start: ${server.stderr}`);
    await delay(20);
  }
}

async function withBeanstalkd<T>(binary: string, binlog: Binlog, body: (system: BareSystem) => Promise<T>): Promise<T> {
  const dir = binlog === "off" ? undefined : await mkdtemp(join(tmpdir(), "djq-bench-binlog-"));
  try {
    const port = await freePort();
    const storage = dir === undefined || binlog === "off" ? [] : ["-b", dir, "-f", String(binlog.fsyncMs)];
    const broker = spawnCommand("beanstalkd", binary, ["-l", "127.0.0.1", "-p", String(port), ...storage]);
    await listening(port, broker);
    const peers = await startBarePeers("beanstalkd", programs.beanstalkPeer, port, () => ["--tubes", `default,${userQueue}`], []);
    return await body({ broker, ...peers });
  } finally {
    await killAll();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** B's shape: one awaited put at a time, two workers reserving one job each, until all are deleted. */
export function runBeanstalkSerial(binary: string, jobs: number, warmUpJobs: number, binlog: Binlog = "off"): Promise<BareSerialRun> {
  return withBeanstalkd(binary, binlog, (system) => measureBareSerial(system, jobs, warmUpJobs));
}

/** C's shape: puts at a steady rate to idle workers, timed to each reserve. */
export function runBeanstalkPaced(binary: string, rate: number, durationMs: number, warmUpMs: number): Promise<PacedRun> {
  return withBeanstalkd(binary, "off", (system) => measurePaced(system, rate, durationMs, warmUpMs));
}

/** U's shape: the user's job on its named tube, one awaited put at a time, timed to the reply and the reserve. */
export function runBeanstalkOneByOne(binary: string, jobs: number, warmUpJobs: number): Promise<OneByOneRun> {
  return withBeanstalkd(binary, "off", async ({ broker, producer, workers }) => {
    const peers = { producer, workers, brokerPid: broker.pid };
    if (warmUpJobs > 0) await measureOneByOne(peers, warmUpJobs);
    return measureOneByOne(peers, jobs);
  });
}
