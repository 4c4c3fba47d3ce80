// Small helpers for driving the core from tests: call, check invariants, collect effects.
// Test-only (excluded from the build); it must not hide refusals, so every helper throws on one.
import type { Assignment, HeldLease, JobSpec, JobState } from "@djq/protocol";
import { checkInvariants } from "../invariants.js";
import type { CoreConfig } from "../core-config.js";
import { QueueCore, type SubmitOptions } from "../queue-core.js";
import type { Result } from "../result.js";
import type { Effect } from "../effects.js";

/** A core with a short heartbeat and run timeout so tests read in small numbers. */
export function newCore(config: Partial<CoreConfig> = {}): QueueCore {
  return new QueueCore({ heartbeatTimeoutMs: 1_000, defaultTimeoutMs: 10_000, defaultMaxAttempts: 3, ...config });
}

export function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.value;
}

/** The effects of the last calls, after checking every invariant. */
export function take(core: QueueCore): Effect[] {
  checkInvariants(core);
  return core.takeEffects();
}

export function submit(core: QueueCore, now: number, specs: JobSpec[] | number, options?: SubmitOptions): number[] {
  const list = typeof specs === "number" ? Array.from({ length: specs }, () => ({})) : specs;
  return ok(core.submit(now, list, options));
}

export function connect(core: QueueCore, now: number, workerId: string, queues: string[] = ["default"], holding: HeldLease[] = []): boolean {
  return ok(core.connectWorker(now, workerId, queues, holding)).resumed;
}

let requestIds = 0;

/** Sends a fetch and returns the jobs it was answered with at once (none if the worker now waits). */
export function fetchJobs(core: QueueCore, now: number, workerId: string, max = 1): Assignment[] {
  const requestId = `r${++requestIds}`;
  ok(core.fetch(now, workerId, requestId, max));
  return take(core).flatMap((e) => (e.type === "assign" && e.requestId === requestId ? e.jobs : []));
}

/** The jobs handed out by these effects, per worker, in order. */
export function assigned(effects: readonly Effect[], workerId?: string): Assignment[] {
  return effects.flatMap((e) => (e.type === "assign" && (workerId === undefined || e.workerId === workerId) ? e.jobs : []));
}

export function ids(assignments: readonly Assignment[]): number[] {
  return assignments.map((a) => a.jobId);
}

export function stateOf(core: QueueCore, jobId: number): JobState {
  return ok(core.find(jobId)).state;
}

export function only<T extends Effect["type"]>(effects: readonly Effect[], type: T): Extract<Effect, { type: T }>[] {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
}

/** mulberry32: a tiny seeded PRNG, so a simulation replays from its seed alone. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DJQ_SEED when set (replay), else a fresh random seed. */
export function seedFromEnv(): number {
  const fromEnv = process.env.DJQ_SEED;
  if (fromEnv !== undefined && fromEnv !== "") {
    const seed = Number(fromEnv);
    if (!Number.isInteger(seed)) throw new Error(`DJQ_SEED must be an integer, got ${fromEnv}`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
