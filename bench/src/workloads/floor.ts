// Calibration: workloads B and C through the floor broker, with bare peers. No djq code runs, so
// the figures are what any queue written in Node starts from on this machine: B's target cannot be
// met below this floor, and C's p50 has only the difference to this one to spend.
import type { ProducerReport } from "../bench-messages.js";
import { killAll, programs, spawnProgram, type Program } from "../processes.js";
import { zeroDurationJob } from "./bulk-throughput.js";
import { measurePaced, type PacedRun } from "./paced-latency.js";

const SETUP_MS = 30_000;

interface FloorSystem {
  producer: Program;
  workers: Program[];
}

async function withFloor<T>(body: (system: FloorSystem) => Promise<T>): Promise<T> {
  try {
    const broker = spawnProgram("floor broker", programs.floorBroker, [], { ipc: true });
    const { port } = await broker.next<{ type: "ready"; port: number }>("ready", SETUP_MS);
    const peer = (name: string, args: string[]) => spawnProgram(name, programs.floorPeer, ["--port", String(port), ...args], { ipc: true });
    const workers = [0, 1].map((index) => peer(`floor worker ${index}`, ["--role", "worker", "--id", `floor-w${index}`]));
    const producer = peer("floor producer", ["--role", "producer"]);
    await Promise.all([producer, ...workers].map((process) => process.next("ready", SETUP_MS)));
    return await body({ producer, workers });
  } finally {
    await killAll();
  }
}

/** B's shape: one awaited submit at a time, two workers taking one job each. */
export function runFloorSerial(jobs: number, warmUpJobs: number): Promise<number> {
  return withFloor(async ({ producer }) => {
    const serial = async (count: number) => {
      producer.send({ type: "serial", jobs: count, spec: zeroDurationJob });
      const done = await producer.next<Extract<ProducerReport, { type: "serial-done" }>>("serial-done", 300_000);
      return (count * 1000) / (done.settledAt - done.startedAt);
    };
    await serial(warmUpJobs);
    return serial(jobs);
  });
}

/** C's shape: jobs one per message at a steady rate to idle workers. */
export function runFloorPaced(rate: number, durationMs: number, warmUpMs: number): Promise<PacedRun> {
  return withFloor((system) => measurePaced(system, rate, durationMs, warmUpMs));
}
