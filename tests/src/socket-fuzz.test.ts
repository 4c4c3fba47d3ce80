// A bounded socket-level fuzz run against the real queue process while real work flows through
// it: garbage connections come and go, and afterwards the queue is alive, its invariants never
// broke, and every legitimate job completed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startQueue } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";

describe("socket-level fuzzing of a running queue", () => {
  it("survives a few seconds of random connections without losing a legitimate job", async () => {
    const queue = await startQueue(["--check-invariants", "--log-level", "info", "--max-errors", "50", "--heartbeat-timeout-ms", "60000"]);
    const worker = await RawSocket.connect(queue.port);
    await worker.hello("worker", { workerId: "honest" });
    const submitter = await RawSocket.connect(queue.port);
    await submitter.hello("client");
    const { jobIds } = (await submitter.request({ id: 1, type: "submit", jobs: Array.from({ length: 50 }, () => ({})) })) as {
      jobIds: number[];
    };

    const seed = Number(process.env.DJQ_SEED ?? Date.now() % 1_000_000);
    const samples = fc.sample(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }), { numRuns: 400, seed });
    const deadline = Date.now() + 3_000;
    let sent = 0;
    for (const chunks of samples) {
      if (Date.now() > deadline) break;
      const socket = await RawSocket.connect(queue.port);
      if (sent % 2 === 0) await socket.hello("client").catch(() => undefined);
      for (const chunk of chunks) socket.write(Buffer.from(chunk));
      socket.write("\n");
      sent += 1;
      setTimeout(() => socket.close(), 20);
    }

    let done = 0;
    for (let round = 0; done < jobIds.length && round < 100; round += 1) {
      const assign = (await worker.request({ id: `f${round}`, type: "fetch", max: 50 })) as { jobs: { jobId: number; lease: number }[] };
      const ack = await worker.request({ id: `c${round}`, type: "complete", jobs: assign.jobs.map(({ jobId, lease }) => ({ jobId, lease })) });
      expect(ack).toMatchObject({ refused: [] });
      done += assign.jobs.length;
    }
    for (const jobId of jobIds) {
      expect(await submitter.request({ id: `s${jobId}`, type: "status", jobId }), `seed=${seed}`).toMatchObject({ job: { state: "completed" } });
    }
    expect(queue.child.exitCode, `seed=${seed}`).toBeNull();
    expect(queue.events("invariant.broken"), `seed=${seed}`).toEqual([]);
    expect(sent).toBeGreaterThan(10);
  });
});
