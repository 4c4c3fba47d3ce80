// With the journal on a disk that stops answering (a filesystem frozen for real), the queue holds
// at most its bound of unwritten records: it stops reading clients and workers while a client
// floods it, keeps reading liveness connections so no worker is lost for the queue's own disk,
// and once the disk comes back it acknowledges the flood, loses none of it to a SIGKILL after.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startQueue, type QueueProcess } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";
import { stallableDisk, stallableDiskMissing, type StallableDisk } from "./harness/stallable-disk.js";

const MiB = 1024 * 1024;
/** The bound under test, and what a flood would make the queue hold without it: 40 times more. */
const maxUnwrittenBytes = MiB;
const floodJobs = 30_000;
const payload = "x".repeat(1_000);

function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) * 1024;
}

const disks: StallableDisk[] = [];
const sockets: RawSocket[] = [];
const queues: QueueProcess[] = [];
afterEach(async () => {
  // Thawed first: a process blocked in a write to a frozen filesystem cannot even be killed.
  for (const disk of disks) await disk.thaw();
  for (const socket of sockets.splice(0)) socket.close();
  for (const queue of queues.splice(0)) await queue.stop();
  for (const disk of disks.splice(0)) await disk.remove();
});

describe.skipIf(stallableDiskMissing !== undefined)(`the journal on a stalled disk${stallableDiskMissing === undefined ? "" : ` (skipped: ${stallableDiskMissing})`}`, () => {
  it("stops reading clients and workers past its bound of unwritten bytes, keeps liveness connections read, and loses nothing acknowledged", async () => {
    const disk = await stallableDisk();
    disks.push(disk);
    const dir = join(disk.dir, "journal");
    const flags = ["--journal", dir, "--journal-max-unwritten-bytes", String(maxUnwrittenBytes), "--log-level", "info"];
    const queue = await startQueue(flags);
    queues.push(queue);

    // A worker whose beats come on its liveness connection, and one that beats on its only connection.
    const beater = await RawSocket.connect(queue.port);
    const welcome = await beater.hello("worker", { workerId: "beater", queues: ["elsewhere"] });
    const liveness = await RawSocket.connect(queue.port);
    expect(await liveness.hello("liveness", { workerId: "beater", livenessToken: welcome.livenessToken })).toMatchObject({ type: "welcome" });
    const plain = await RawSocket.connect(queue.port);
    await plain.hello("worker", { workerId: "plain", queues: ["elsewhere"] });
    const beats = setInterval(() => plain.send({ id: "beat", type: "heartbeat" }), 200);
    let livenessBeats: NodeJS.Timeout | undefined;
    const flooder = await RawSocket.connect(queue.port);
    sockets.push(beater, liveness, plain, flooder);
    try {
      await flooder.hello("client");
      expect(await flooder.request({ id: 0, type: "submit", jobs: [{ payload }] })).toMatchObject({ type: "submitted" });
      const residentBefore = residentBytes(queue.pid);

      await disk.freeze();
      // Written in pieces of about 100 KB, so the bytes the queue has not taken can be told from the socket.
      let floodBytes = 0;
      for (let first = 1; first <= floodJobs; first += 100) {
        let piece = "";
        for (let i = first; i < first + 100 && i <= floodJobs; i += 1) piece += `${JSON.stringify({ id: i, type: "submit", jobs: [{ payload }] })}\n`;
        flooder.write(piece);
        floodBytes += Buffer.byteLength(piece);
      }
      const paused = await queue.waitForEvent("journal.intake-paused");
      expect(paused.limitBytes).toBe(maxUnwrittenBytes);

      // The queue keeps turning (its liveness connections are answered) past a worker's silence
      // limit, and in all that time it takes no more of the flood than it had when it stopped.
      const unreadAfterPause = flooder.socket.writableLength;
      const beatsFrom = Date.now();
      for (let i = 0; i < 12; i += 1) {
        expect(await liveness.request({ id: `l${i}`, type: "heartbeat" }, 3_000)).toMatchObject({ type: "heartbeat" });
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(Date.now() - beatsFrom).toBeGreaterThan(2 * 800);
      const residentGrowth = residentBytes(queue.pid) - residentBefore;
      expect(residentGrowth, `the queue's resident memory grew ${residentGrowth} bytes while the disk stalled`).toBeLessThan(48 * MiB);
      expect(flooder.socket.writableLength).toBe(unreadAfterPause);
      expect(unreadAfterPause).toBeGreaterThan(floodBytes / 2);
      expect(queue.events("worker.lost")).toEqual([]);

      livenessBeats = setInterval(() => liveness.send({ id: "beat", type: "heartbeat" }), 200);
      await disk.thaw();
      await queue.waitForEvent("journal.intake-resumed");
      const acknowledged: number[] = [];
      for (let i = 1; i <= floodJobs; i += 1) {
        const reply = await flooder.next(30_000);
        expect(reply).toMatchObject({ id: i, type: "submitted" });
        acknowledged.push(...(reply.jobIds as number[]));
      }
      expect(acknowledged).toHaveLength(floodJobs);
      expect(queue.events("worker.lost")).toEqual([]);
    } finally {
      clearInterval(beats);
      clearInterval(livenessBeats);
      await disk.thaw();
    }

    queue.kill("SIGKILL");
    await queue.exited;
    const again = await startQueue(flags);
    queues.push(again);
    const recovered = await again.waitForEvent("journal.recovered");
    expect(recovered.pending).toBe(floodJobs + 1);
    const reader = await RawSocket.connect(again.port);
    sockets.push(reader);
    await reader.hello("client");
    const stats = await reader.request({ id: "s", type: "stats" });
    expect(stats.counts).toMatchObject({ pending: floodJobs + 1 });
  }, 120_000);
});
