// Calibration: workloads B and C, and the user's one-at-a-time shape, through the floor broker, with bare peers. No djq code runs, so
// the figures are what any queue written in Node starts from on this machine: B's target cannot be
// met below this floor, and C's p50 has only the difference to this one to spend. The same bare
// peers can also drive djq's own queue (workload `bare`): the difference to the floor is then the
// queue's alone, and the rest of the difference to B, C and U is the client and worker libraries'
// (the idempotency key the client library puts on every submit apart, measured with keyed bare peers).
import type { ProducerReport } from "../bench-messages.js";
import { countCost, systemPids, type SystemCost } from "../process-cost.js";
import { killAll, programs, spawnProgram, startQueue, type Program } from "../processes.js";
import { zeroDurationJob } from "./bulk-throughput.js";
import { measurePaced, type PacedRun } from "./paced-latency.js";
import { measureOneByOne, type OneByOneRun } from "./user-shape.js";
import { userQueue } from "../user-job.js";

/** How long a broker or a bare peer may take to start. */
export const SETUP_MS = 30_000;

/** A broker with two bare workers and a bare producer, all up. */
export interface BareSystem {
  broker: Program;
  producer: Program;
  workers: Program[];
}

/** Two workers and a producer of the bare peer program `script`, talking to `port`, once each said
 * it is ready; `name` says whose peers they are in error messages. */
export async function startBarePeers(name: string, script: string, port: number, workerArgs: (index: number) => string[], producerArgs: string[]): Promise<Omit<BareSystem, "broker">> {
  const peer = (role: string, args: string[]) => spawnProgram(`${name} ${role}`, script, ["--port", String(port), ...args], { ipc: true });
  const workers = [0, 1].map((index) => peer(`worker ${index}`, ["--role", "worker", ...workerArgs(index)]));
  const producer = peer("producer", ["--role", "producer", ...producerArgs]);
  await Promise.all([producer, ...workers].map((process) => process.next("ready", SETUP_MS)));
  return { producer, workers };
}

/** Which broker the bare peers talk to: the floor broker, or djq's queue. */
export type BareBroker = "floor" | "djq";

async function startBroker(which: BareBroker): Promise<{ broker: Program; port: number }> {
  if (which === "djq") {
    const { queue, control } = await startQueue();
    await control.close();
    return { broker: queue, port: queue.port };
  }
  const broker = spawnProgram("floor broker", programs.floorBroker, [], { ipc: true });
  const { port } = await broker.next<{ type: "ready"; port: number }>("ready", SETUP_MS);
  return { broker, port };
}

async function withFloor<T>(which: BareBroker, body: (system: BareSystem) => Promise<T>, producerArgs: string[] = []): Promise<T> {
  try {
    const { broker, port } = await startBroker(which);
    const peers = await startBarePeers("floor", programs.floorPeer, port, (index) => ["--id", `floor-w${index}`, "--queues", `default,${userQueue}`], producerArgs);
    return await body({ broker, ...peers });
  } finally {
    await killAll();
  }
}

export interface BareSerialRun {
  jobsPerSecond: number;
  costs: SystemCost;
}

/** B's shape on bare peers that are up (the floor's or beanstalkd's): a warm-up, then the measured run. */
export async function measureBareSerial({ broker, producer, workers }: BareSystem, jobs: number, warmUpJobs: number): Promise<BareSerialRun> {
  const serial = async (count: number) => {
    const counted = countCost(systemPids(broker.pid, producer.pid, workers));
    producer.send({ type: "serial", jobs: count, spec: zeroDurationJob });
    const done = await producer.next<Extract<ProducerReport, { type: "serial-done" }>>("serial-done", 300_000);
    return { jobsPerSecond: (count * 1000) / (done.settledAt - done.startedAt), costs: counted(count) };
  };
  await serial(warmUpJobs);
  return serial(jobs);
}

/** B's shape: one awaited submit at a time, two workers taking one job each; `keyed`, each submit
 * with a fresh idempotency key, as the client library sends it. */
export function runFloorSerial(jobs: number, warmUpJobs: number, broker: BareBroker = "floor", { keyed = false } = {}): Promise<BareSerialRun> {
  return withFloor(broker, (system) => measureBareSerial(system, jobs, warmUpJobs), keyed ? ["--keyed"] : []);
}

/** The user's shape: one awaited submit at a time without watch, timed to the acknowledgement and the start. */
export function runFloorOneByOne(jobs: number, warmUpJobs: number, broker: BareBroker = "floor"): Promise<OneByOneRun> {
  return withFloor(broker, async ({ broker, producer, workers }) => {
    const peers = { producer, workers, brokerPid: broker.pid };
    if (warmUpJobs > 0) await measureOneByOne(peers, warmUpJobs);
    return measureOneByOne(peers, jobs);
  });
}

/** C's shape: jobs one per message at a steady rate to idle workers. */
export function runFloorPaced(rate: number, durationMs: number, warmUpMs: number, broker: BareBroker = "floor"): Promise<PacedRun> {
  return withFloor(broker, (system) => measurePaced(system, rate, durationMs, warmUpMs));
}
