// With the journal on a disk that stops answering (a filesystem frozen for real), the queue holds
// at most its bound of unwritten records and held replies: it stops reading clients and workers while a client
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
/** A worker's silence limit; the stall lasts more than twice as long. Long enough that this
 * process, sharing the machine's cores with others, keeps its own beats within it. */
const silenceMs = 1_500;

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
    const flags = ["--journal", dir, "--journal-max-unwritten-bytes", String(maxUnwrittenBytes), "--heartbeat-timeout-ms", String(silenceMs), "--log-level", "info"];
    // Made before any worker beats: building it must not hold up this process's beats.
    const flood: string[] = [];
    for (let first = 1; first <= floodJobs; first += 100) {
      let piece = "";
      for (let i = first; i < first + 100 && i <= floodJobs; i += 1) piece += `${JSON.stringify({ id: i, type: "submit", jobs: [{ payload }] })}\n`;
      flood.push(piece);
    }
    const floodBytes = flood.reduce((sum, piece) => sum + Buffer.byteLength(piece), 0);
    const queue = await startQueue([...flags, "--dashboard-port", "0"]);
    queues.push(queue);
    const dashboard = await queue.waitForEvent("dashboard.listening");
    const journalMetrics = async () => {
      const text = await (await fetch(`http://127.0.0.1:${dashboard.port as number}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      return { unwrittenBytes: value("djq_journal_unwritten_bytes"), paused: value("djq_journal_intake_paused") };
    };

    // A worker whose beats come on its liveness connection, and one that beats on its only connection.
    const beater = await RawSocket.connect(queue.port);
    const welcome = await beater.hello("worker", { workerId: "beater", queues: ["elsewhere"] });
    const liveness = await RawSocket.connect(queue.port);
    expect(await liveness.hello("liveness", { workerId: "beater", livenessToken: welcome.livenessToken })).toMatchObject({ type: "welcome" });
    const livenessBeats = setInterval(() => liveness.send({ id: "beat", type: "heartbeat" }), 150);
    const plain = await RawSocket.connect(queue.port);
    await plain.hello("worker", { workerId: "plain", queues: ["elsewhere"] });
    const beats = setInterval(() => plain.send({ id: "beat", type: "heartbeat" }), 200);
    const flooder = await RawSocket.connect(queue.port);
    sockets.push(beater, liveness, plain, flooder);
    try {
      await flooder.hello("client");
      expect(await flooder.request({ id: 0, type: "submit", jobs: [{ payload }] })).toMatchObject({ type: "submitted" });
      const residentBefore = residentBytes(queue.pid);

      await disk.freeze();
      // Written in pieces of about 100 KB, so the bytes the queue has not taken can be told from the socket.
      for (const piece of flood) flooder.write(piece);
      const paused = await queue.waitForEvent("journal.intake-paused");
      expect(paused.limitBytes).toBe(maxUnwrittenBytes);

      // The queue keeps turning (its liveness connection is answered) past a worker's silence
      // limit, and in all that time it takes in not even half of the flood.
      const beatsFrom = Date.now();
      while (Date.now() - beatsFrom < 2 * silenceMs) expect(await liveness.next(3_000)).toMatchObject({ type: "heartbeat" });
      const residentGrowth = residentBytes(queue.pid) - residentBefore;
      expect(residentGrowth, `the queue's resident memory grew ${residentGrowth} bytes while the disk stalled`).toBeLessThan(48 * MiB);
      expect(flooder.socket.writableLength).toBeGreaterThan(floodBytes / 2);
      expect(queue.events("worker.lost")).toEqual([]);
      // An operator sees it: the dashboard is still served, and /metrics says the queue waits.
      const during = await journalMetrics();
      expect(during.paused).toBe(1);
      expect(during.unwrittenBytes).toBeGreaterThanOrEqual(maxUnwrittenBytes);

      await disk.thaw();
      await queue.waitForEvent("journal.intake-resumed");
      const acknowledged: number[] = [];
      for (let i = 1; i <= floodJobs; i += 1) {
        const reply = await flooder.next(30_000);
        expect(reply).toMatchObject({ id: i, type: "submitted" });
        acknowledged.push(...(reply.jobIds as number[]));
      }
      expect(acknowledged).toHaveLength(floodJobs);
      expect((await journalMetrics()).paused).toBe(0);
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

  it("counts the replies held for the disk against the bound: reads piling up behind one held reply stop being read", async () => {
    const disk = await stallableDisk();
    disks.push(disk);
    const queue = await startQueue(["--journal", join(disk.dir, "journal"), "--journal-max-unwritten-bytes", String(maxUnwrittenBytes), "--log-level", "info"]);
    queues.push(queue);
    const reader = await RawSocket.connect(queue.port);
    sockets.push(reader);
    await reader.hello("client");
    const big = "y".repeat(60_000);
    const submitted = await reader.request({ id: 0, type: "submit", jobs: [{ payload: big }] });
    const jobId = (submitted.jobIds as number[])[0];
    try {
      await disk.freeze();
      // One change whose reply waits for the disk, then reads of 60 KB each, whose replies wait
      // behind it in order: a hundred of them would hold 6 MB, records only a few hundred bytes.
      reader.send({ id: 1, type: "submit", jobs: [{ payload: "small" }] });
      for (let i = 0; i < 100; i += 1) reader.send({ id: `s${i}`, type: "status", jobId });
      const paused = await queue.waitForEvent("journal.intake-paused", {}, 10_000);
      expect(paused.heldReplyBytes as number).toBeGreaterThan(maxUnwrittenBytes - 70_000);
      expect(paused.unwrittenBytes as number).toBeLessThan(10_000);
      await disk.thaw();
      expect(await reader.next(10_000)).toMatchObject({ id: 1, type: "submitted" });
      for (let i = 0; i < 100; i += 1) expect(await reader.next(10_000)).toMatchObject({ id: `s${i}`, type: "job" });
      expect(queue.events("connection.overflow")).toEqual([]);
    } finally {
      await disk.thaw();
    }
  }, 60_000);
});
