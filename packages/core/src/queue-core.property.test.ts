// Random sequences of every call the core takes, checked after each step against the
// invariants and a small independent model of leases and due times. fast-check prints the seed
// and the shrunk sequence on failure; DJQ_SEED=… pnpm test replays the same runs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HeldLease, JobSpec } from "@djq/protocol";
import type { Effect } from "./effects.js";
import { checkInvariants } from "./invariants.js";
import type { CoreConfig } from "./core-config.js";
import { QueueCore } from "./queue-core.js";
import { retryDelayMs } from "./retry-policy.js";
import { jobView } from "./views.js";

const config: Partial<CoreConfig> = {
  heartbeatTimeoutMs: 1_000,
  defaultTimeoutMs: 2_000,
  defaultMaxAttempts: 3,
  retry: { baseMs: 200, maxMs: 2_000 },
  maxUnfinishedJobs: 40,
  retention: { maxJobs: 1e9, maxAgeMs: 1e12 },
  idempotency: { maxKeys: 2, windowMs: 3_000 },
};

const runs = (numRuns: number): fc.Parameters<unknown> => {
  const seed = process.env.DJQ_SEED;
  return seed ? { numRuns, seed: Number(seed) } : { numRuns };
};

/** `dt`: how far the clock moved before this call; `advance` is the shell's timer firing. */
type Action = { dt: number } & (
  | { kind: "submit"; jobs: JobSpec[]; key: string | undefined }
  | { kind: "connect"; worker: string; queues: readonly string[]; keep: number }
  | { kind: "fetch"; worker: string; max: number }
  | { kind: "complete" | "fail" | "release" | "extend"; worker: string; pick: number; stale: boolean; permanent: boolean }
  | { kind: "disconnect" | "touch" | "withdraw"; worker: string }
  | { kind: "advance" }
  | { kind: "cancel" | "retry"; pick: number }
  | { kind: "pause" | "resume"; queue: string }
);

const worker = fc.constantFrom("w0", "w1", "w2");
const queue = fc.constantFrom("a", "b");
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const spec: fc.Arbitrary<JobSpec> = fc.record({
  queue,
  priority: maybe(fc.integer({ min: 1, max: 9 })),
  delayMs: maybe(fc.integer({ min: 0, max: 2_500 })),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  timeoutMs: maybe(fc.integer({ min: 100, max: 3_000 })),
});
const report = (kind: "complete" | "fail" | "release" | "extend") =>
  fc.record({ kind: fc.constant(kind), worker, pick: fc.nat(), stale: fc.boolean(), permanent: fc.boolean() });

const dt = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 150 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
);
type Untimed = Action extends infer A ? (A extends unknown ? Omit<A, "dt"> : never) : never;
const timed = (arb: fc.Arbitrary<Untimed>): fc.Arbitrary<Action> => fc.tuple(arb, dt).map(([a, d]) => ({ ...a, dt: d }) as Action);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: timed(fc.record({ kind: fc.constant("submit" as const), jobs: fc.array(spec, { minLength: 1, maxLength: 3 }), key: maybe(fc.constantFrom("k1", "k2", "k3")) })) },
  { weight: 2, arbitrary: timed(fc.record({ kind: fc.constant("connect" as const), worker, queues: fc.subarray(["a", "b"], { minLength: 1 }), keep: fc.nat() })) },
  { weight: 7, arbitrary: timed(fc.record({ kind: fc.constant("fetch" as const), worker, max: fc.integer({ min: 1, max: 3 }) })) },
  { weight: 6, arbitrary: timed(report("complete")) },
  { weight: 2, arbitrary: timed(report("fail")) },
  { weight: 1, arbitrary: timed(report("release")) },
  { weight: 1, arbitrary: timed(report("extend")) },
  { weight: 1, arbitrary: timed(fc.record({ kind: fc.constantFrom("disconnect" as const, "withdraw" as const), worker })) },
  { weight: 6, arbitrary: timed(fc.record({ kind: fc.constant("touch" as const), worker })) },
  { weight: 3, arbitrary: timed(fc.record({ kind: fc.constant("advance" as const) })) },
  { weight: 1, arbitrary: timed(fc.record({ kind: fc.constantFrom("cancel" as const, "retry" as const), pick: fc.nat() })) },
  { weight: 1, arbitrary: timed(fc.record({ kind: fc.constantFrom("pause" as const, "resume" as const, "resume" as const, "resume" as const), queue })) },
);

/** Plain throws, not expect(): these run for every job after every step. */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function fail(message: string): never {
  throw new Error(message);
}

interface Live {
  lease: number;
  workerId: string;
}

/** Drives one core through actions, keeping its own record of who holds which lease. */
class Driver {
  readonly core: QueueCore;
  now = 0;
  readonly submitted: number[] = [];
  /** Every lease ever handed out, for stale reports. */
  readonly issued: { jobId: number; lease: number; workerId: string }[] = [];
  /** The one lease per job that a report may use, per this model. */
  readonly live = new Map<number, Live>();
  readonly dueAt = new Map<number, number>();
  /** Attempts used per job, per this model: release gives one back, retry resets. */
  private readonly attempts = new Map<number, number>();
  private readonly maxAttempts = new Map<number, number>();
  private readonly failedForGood = new Set<number>();
  readonly completed = new Set<number>();
  readonly firstAssigned: number[] = [];
  private readonly firstAssignedSet = new Set<number>();
  private readonly submittedSet = new Set<number>();
  /** Workers declared lost by the effects being applied: they must hold nothing afterwards. */
  private readonly expectHoldsNothingAfter = new Set<string>();
  expectedStale = 0;
  maxLease = 0;
  readonly log: Effect[] = [];

  /**
   * `queues`: what a worker that says hello again serves. Only queues the test uses: every
   * queue costs checkInvariants another walk over all jobs.
   */
  constructor(overrides: Partial<CoreConfig> = {}, private readonly queues: string[] = ["a", "b"]) {
    this.core = new QueueCore({ ...config, ...overrides });
  }

  step(a: Action): void {
    const core = this.core;
    this.now += a.dt;
    if (a.kind !== "advance") this.runDue();
    switch (a.kind) {
      case "submit": {
        const result = core.submit(this.now, a.jobs, { key: a.key });
        if (result.ok) {
          for (const [i, id] of result.value.entries()) {
            if (this.submittedSet.has(id)) continue;
            this.submittedSet.add(id);
            this.submitted.push(id);
            const jobSpec = a.jobs[i] as JobSpec;
            this.maxAttempts.set(id, jobSpec.maxAttempts ?? this.core.config.defaultMaxAttempts);
            if (jobSpec.delayMs) this.dueAt.set(id, this.now + jobSpec.delayMs);
          }
        }
        break;
      }
      case "connect": {
        const mine = [...this.live].filter(([, l]) => l.workerId === a.worker);
        const holding: HeldLease[] = mine.filter((_, i) => (a.keep >> i) & 1).map(([jobId, l]) => ({ jobId, lease: l.lease }));
        expect(core.connectWorker(this.now, a.worker, a.queues, holding).ok).toBe(true);
        this.afterEffects(() => {
          const kept = new Set(holding.map((h) => h.jobId));
          for (const [jobId, l] of this.live) if (l.workerId === a.worker) check(kept.has(jobId), `reconnected ${a.worker} still holds job ${jobId} it did not list`);
        });
        return;
      }
      case "fetch":
        // A real worker that lost its connection says hello again before it fetches.
        if (!core.workerList().some((w) => w.id === a.worker)) core.connectWorker(this.now, a.worker, this.queues);
        expect(core.fetch(this.now, a.worker, `${a.worker}:${this.now}`, a.max).ok).toBe(true);
        break;
      case "complete":
      case "fail":
      case "release":
      case "extend": {
        const target = this.pickTarget(a.worker, a.pick, a.stale);
        if (target === undefined) return;
        const live = this.live.get(target.jobId);
        const valid = live !== undefined && live.lease === target.lease && live.workerId === a.worker;
        if (!valid) this.expectedStale += 1;
        const item = { jobId: target.jobId, lease: target.lease };
        let accepted: boolean;
        if (a.kind === "complete") accepted = core.complete(this.now, a.worker, [{ ...item, result: this.now }]).length === 0;
        else if (a.kind === "fail") accepted = core.fail(this.now, a.worker, [{ ...item, error: "boom", permanent: a.permanent }]).length === 0;
        else if (a.kind === "release") accepted = core.release(this.now, a.worker, [item]).length === 0;
        else accepted = core.extend(this.now, a.worker, item.jobId, item.lease).ok;
        check(accepted === valid, `${a.kind} of job ${item.jobId} lease ${item.lease} by ${a.worker}: accepted=${accepted}, model says ${valid}`);
        if (accepted && a.kind !== "extend") this.live.delete(item.jobId);
        if (accepted && a.kind === "release") this.attempts.set(item.jobId, (this.attempts.get(item.jobId) ?? 0) - 1);
        if (accepted && a.kind === "fail" && a.permanent) this.failedForGood.add(item.jobId);
        if (accepted && a.kind === "complete") {
          check(!this.completed.has(item.jobId), `job ${item.jobId} completed twice`);
          this.completed.add(item.jobId);
        }
        break;
      }
      case "disconnect":
        core.disconnectWorker(this.now, a.worker, "connection closed");
        this.afterEffects(() => this.expectHoldsNothing(a.worker));
        return;
      case "touch":
        core.touchWorker(this.now, a.worker);
        break;
      case "withdraw":
        core.withdraw(this.now, a.worker);
        break;
      case "advance":
        core.advance(this.now);
        break;
      case "cancel":
      case "retry": {
        const jobId = this.submitted[a.pick % Math.max(1, this.submitted.length)];
        if (jobId === undefined) return;
        const result = a.kind === "cancel" ? core.cancel(this.now, jobId) : core.retry(this.now, jobId);
        if (a.kind === "retry" && result.ok) {
          this.attempts.set(jobId, 0);
          this.dueAt.delete(jobId);
          this.failedForGood.delete(jobId);
        }
        break;
      }
      case "pause":
        core.pause(this.now, a.queue);
        break;
      case "resume":
        core.resume(this.now, a.queue);
        break;
    }
    this.afterEffects(() => {});
  }

  /**
   * Runs what fell due (a lost worker, a timeout) before the model predicts a call's outcome,
   * so it judges against the same state the core will. `replay` below shows this is neutral.
   */
  private runDue(): void {
    this.core.advance(this.now);
    this.afterEffects(() => {}, false);
  }

  private pickTarget(workerId: string, pick: number, stale: boolean): { jobId: number; lease: number } | undefined {
    const mine = [...this.live].filter(([, l]) => l.workerId === workerId);
    if (!stale && mine.length > 0) {
      const [jobId, l] = mine[pick % mine.length] as [number, Live];
      return { jobId, lease: l.lease };
    }
    return this.issued[pick % Math.max(1, this.issued.length)];
  }

  private expectHoldsNothing(workerId: string): void {
    for (const [jobId, l] of this.live) check(l.workerId !== workerId, `job ${jobId} still held by lost ${workerId}`);
  }

  /** Checks the invariants (unless only due work ran; the step's own call is checked next), then applies the effects. */
  private afterEffects(extra: () => void, check = true): void {
    if (check) checkInvariants(this.core);
    const effects = this.core.takeEffects();
    this.log.push(...effects);
    for (const effect of effects) this.apply(effect);
    for (const w of this.expectHoldsNothingAfter) this.expectHoldsNothing(w);
    this.expectHoldsNothingAfter.clear();
    extra();
    if (check) this.checkState();
  }

  private apply(effect: Effect): void {
    switch (effect.type) {
      case "assign":
        for (const job of effect.jobs) {
          check(!this.completed.has(job.jobId), `completed job ${job.jobId} assigned again`);
          check(job.lease > this.maxLease, `lease ${job.lease} not above ${this.maxLease}`);
          check(!this.live.has(job.jobId), `job ${job.jobId} assigned while still held`);
          const due = this.dueAt.get(job.jobId) ?? 0;
          check(this.now >= due, `job ${job.jobId} assigned at ${this.now}, before its due time ${due}`);
          this.maxLease = job.lease;
          const used = this.attempts.get(job.jobId) ?? 0;
          check(job.attempt === used + 1, `job ${job.jobId} handed out as attempt ${job.attempt} after ${used} used`);
          this.attempts.set(job.jobId, job.attempt);
          if (job.attempt === 1 && !this.firstAssignedSet.has(job.jobId)) {
            this.firstAssignedSet.add(job.jobId);
            this.firstAssigned.push(job.jobId);
          }
          this.live.set(job.jobId, { lease: job.lease, workerId: effect.workerId });
          this.issued.push({ jobId: job.jobId, lease: job.lease, workerId: effect.workerId });
        }
        return;
      case "abandon": {
        const live = this.live.get(effect.jobId);
        check(live?.lease === effect.lease && live.workerId === effect.workerId, `abandon for job ${effect.jobId} lease ${effect.lease}, model holds ${JSON.stringify(live)}`);
        this.live.delete(effect.jobId);
        return;
      }
      case "requeued": {
        this.live.delete(effect.jobId);
        const max = this.maxAttempts.get(effect.jobId) ?? 0;
        check(effect.attempt < max, `job ${effect.jobId} requeued after attempt ${effect.attempt} of ${max}`);
        if (effect.to === "delayed") {
          const due = this.now + retryDelayMs(this.core.config.retry, effect.jobId, effect.attempt);
          this.dueAt.set(effect.jobId, due);
          const job = this.core.find(effect.jobId);
          check(job.ok && job.value.state === "delayed" && job.value.deadlineAt === due, `job ${effect.jobId} should be delayed until ${due}`);
        }
        return;
      }
      case "failed": {
        this.live.delete(effect.jobId);
        const max = this.maxAttempts.get(effect.jobId) ?? 0;
        check(this.failedForGood.has(effect.jobId) || effect.attempts === max, `job ${effect.jobId} died after ${effect.attempts} of ${max} attempts`);
        return;
      }
      case "worker-lost":
        this.expectHoldsNothingAfter.add(effect.workerId);
        return;
      case "settled":
        return;
    }
  }

  private checkState(): void {
    let total = 0;
    for (const id of this.submitted) {
      const found = this.core.find(id);
      if (!found.ok) fail(`job ${id} lost: ${found.message}`);
      const job = found.value;
      total += 1;
      check(this.completed.has(id) === (job.state === "completed"), `job ${id} is ${job.state}; model completed=${this.completed.has(id)}`);
      if (job.state === "pending" || job.state === "running") {
        check(this.now >= (this.dueAt.get(id) ?? 0), `job ${id} is ${job.state} at ${this.now}, before its due time`);
      }
      const live = this.live.get(id);
      if (job.state === "running") {
        check(live?.lease === job.lease && live.workerId === job.worker?.id, `running job ${id} lease ${job.lease} differs from the model's ${JSON.stringify(live)}`);
      } else {
        check(live === undefined, `job ${id} is ${job.state} but the model says it is held`);
      }
    }
    for (const worker of this.core.workerList()) {
      if (worker.fetches.length === 0) continue;
      check(worker.waiting, `worker ${worker.id} has open fetches but waits in no line`);
      for (const q of worker.queues) check(!q.canAssign, `worker ${worker.id} waits while queue ${q.name} has a job for it`);
    }
    check(this.core.jobCount() === total, `core has ${this.core.jobCount()} jobs, ${total} submitted`);
    const counted = Object.values(this.core.counts).reduce((s, n) => s + n, 0);
    check(counted === total, `counts add up to ${counted}, not ${total}: each job must be in exactly one state`);
    check(this.core.totals.staleRefused === this.expectedStale, `staleRefused ${this.core.totals.staleRefused}, expected ${this.expectedStale}`);
    check(this.core.totals.completed === this.completed.size, `totals.completed ${this.core.totals.completed}, model ${this.completed.size}`);
  }
}

describe("the core under random call sequences", () => {
  it("keeps its invariants, loses no job, fences every report by lease and assigns nothing early", () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 20, maxLength: 150, size: "max" }), (actions) => {
        const driver = new Driver();
        for (const a of actions) driver.step(a);
      }),
      runs(200),
    );
  });

  it("hands out first attempts in submission order with one queue, one priority and no failures", () => {
    const simple: fc.Arbitrary<Action> = fc.oneof(
      { weight: 3, arbitrary: timed(fc.record({ kind: fc.constant("submit" as const), jobs: fc.array(fc.constant({}), { minLength: 1, maxLength: 3 }), key: fc.constant(undefined) })) },
      { weight: 1, arbitrary: timed(fc.record({ kind: fc.constant("connect" as const), worker, queues: fc.constant(["default"]).map((q) => [...q]), keep: fc.nat() })) },
      { weight: 3, arbitrary: timed(fc.record({ kind: fc.constant("fetch" as const), worker, max: fc.integer({ min: 1, max: 3 }) })) },
      { weight: 3, arbitrary: timed(fc.record({ kind: fc.constant("complete" as const), worker, pick: fc.nat(), stale: fc.constant(false), permanent: fc.constant(false) })) },
      { weight: 1, arbitrary: timed(fc.record({ kind: fc.constantFrom("disconnect" as const, "withdraw" as const, "touch" as const), worker })) },
      { weight: 2, arbitrary: timed(fc.record({ kind: fc.constant("advance" as const) })) },
    );
    fc.assert(
      fc.property(fc.array(simple, { minLength: 20, maxLength: 150, size: "max" }), (actions) => {
        const driver = new Driver({ defaultTimeoutMs: 1e9 }, ["default"]);
        // The model: ids of jobs waiting to be handed out. With one queue and one priority and
        // nothing delayed, submission order is id order, and a put-back job keeps its place.
        const waiting = new Set<number>();
        for (const a of actions) {
          const before = driver.log.length;
          const known = driver.submitted.length;
          driver.step(a);
          for (const id of driver.submitted.slice(known)) waiting.add(id);
          for (const effect of driver.log.slice(before)) {
            if (effect.type === "requeued") waiting.add(effect.jobId);
            if (effect.type !== "assign") continue;
            for (const job of effect.jobs) {
              const oldest = Math.min(...waiting);
              check(job.jobId === oldest, `job ${job.jobId} handed out while job ${oldest} waited longer`);
              waiting.delete(job.jobId);
            }
          }
        }
        expect(driver.firstAssigned).toEqual([...driver.firstAssigned].sort((x, y) => x - y));
      }),
      runs(200),
    );
  });

  it("behaves the same whether or not advance(now) ran before each call (but a touch, which counts first)", () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 20, maxLength: 100, size: "max" }), (actions) => {
        const plain = replay(actions, false);
        const advanced = replay(actions, true);
        expect(advanced.effects).toEqual(plain.effects);
        expect(advanced.jobs).toEqual(plain.jobs);
      }),
      runs(100),
    );
  });
});

/**
 * Runs actions on a fresh core with no model and no extra calls; reports name leases picked
 * from the assignments handed out so far. With `advanceFirst` the shell's timer is taken to
 * have fired exactly at `now` before every call, which the core must not notice.
 */
function replay(actions: readonly Action[], advanceFirst: boolean): { effects: Effect[]; jobs: unknown[] } {
  const core = new QueueCore(config);
  const effects: Effect[] = [];
  const issued: { jobId: number; lease: number }[] = [];
  let now = 0;
  let lastJobId = 0;
  const call = <T>(f: () => T, advanceBefore = advanceFirst): T => {
    if (advanceBefore) core.advance(now);
    const result = f();
    for (const effect of core.takeEffects()) {
      effects.push(effect);
      if (effect.type === "assign") for (const job of effect.jobs) issued.push({ jobId: job.jobId, lease: job.lease });
    }
    return result;
  };
  for (const a of actions) {
    now += a.dt;
    switch (a.kind) {
      case "submit": {
        const result = call(() => core.submit(now, a.jobs, { key: a.key }));
        if (result.ok) lastJobId = Math.max(lastJobId, ...result.value);
        break;
      }
      case "connect":
        call(() => core.connectWorker(now, a.worker, a.queues, issued.filter((_, i) => (a.keep >> i) & 1)));
        break;
      case "fetch":
        call(() => core.fetch(now, a.worker, `${a.worker}:${now}`, a.max));
        break;
      case "complete":
      case "fail":
      case "release":
      case "extend": {
        const target = issued[a.pick % Math.max(1, issued.length)];
        if (target === undefined) break;
        if (a.kind === "complete") call(() => core.complete(now, a.worker, [target]));
        else if (a.kind === "fail") call(() => core.fail(now, a.worker, [{ ...target, error: "boom", permanent: a.permanent }]));
        else if (a.kind === "release") call(() => core.release(now, a.worker, [target]));
        else call(() => core.extend(now, a.worker, target.jobId, target.lease));
        break;
      }
      case "disconnect":
        call(() => core.disconnectWorker(now, a.worker, "connection closed"));
        break;
      case "touch":
        // A message heard counts before the silence check by rule: a timer run first is not invisible here.
        call(() => core.touchWorker(now, a.worker), false);
        break;
      case "withdraw":
        call(() => core.withdraw(now, a.worker));
        break;
      case "advance":
        call(() => core.advance(now));
        break;
      case "cancel":
      case "retry": {
        const jobId = (a.pick % Math.max(1, lastJobId)) + 1;
        call(() => (a.kind === "cancel" ? core.cancel(now, jobId) : core.retry(now, jobId)));
        break;
      }
      case "pause":
        call(() => core.pause(now, a.queue));
        break;
      case "resume":
        call(() => core.resume(now, a.queue));
        break;
    }
  }
  const jobs: unknown[] = [];
  for (let id = 1; id <= lastJobId; id += 1) {
    const found = core.find(id);
    jobs.push(found.ok ? jobView(found.value) : found.code);
  }
  return { effects, jobs };
}
