// A seeded randomised simulation of the whole queue: a client submitting, cancelling and
// retrying; workers fetching, completing, failing, crashing, freezing and reconnecting; a clock
// that only moves when the simulation says so. Invariants are checked after every step; at the
// end every job must be completed, failed as designed or cancelled. The seed is printed on
// failure, and DJQ_SEED=… pnpm test (in this package) replays the run exactly.
import { describe, expect, it } from "vitest";
import { ErrorCode, type JobSpec } from "@djq/protocol";
import type { Effect } from "./effects.js";
import { checkInvariants } from "./invariants.js";
import { QueueCore } from "./queue-core.js";
import { seededRandom, seedFromEnv } from "./test-support/core-harness.js";

/** What the simulated worker does with a job, chosen by the client and carried in the payload. */
type Kind = "ok" | "flaky" | "poison" | "fatal" | "slow" | "long";
interface Payload {
  kind: Kind;
  /** flaky: fails this many attempts before succeeding. */
  failures: number;
}

interface Held {
  payload: Payload;
  lease: number;
  attempt: number;
  doneAt: number;
  extendAt: number;
  /** Told to abandon it, but the message crossed the worker's report in flight. */
  abandoned: boolean;
}

interface SimWorker {
  id: string;
  queues: string[];
  capacity: number;
  /** Connected as far as the worker knows; false while it is down or after its connection was dropped. */
  connected: boolean;
  downUntil: number;
  frozenUntil: number;
  nextHeartbeatAt: number;
  openFetch: string | undefined;
  running: Map<number, Held>;
}

const HEARTBEAT_TIMEOUT_MS = 1_000;
const TIMEOUT_MS = 1_500;
const KEY_WINDOW_MS = 5_000;
/** The simulated client's connection id: it watches every job. */
const CLIENT = 1;

class Simulation {
  readonly core = new QueueCore({
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    defaultTimeoutMs: TIMEOUT_MS,
    defaultMaxAttempts: 6,
    retry: { baseMs: 100, maxMs: 2_000 },
    maxUnfinishedJobs: 60,
    // Small, so settled jobs are dropped during the run; the client learns every outcome from
    // the settled reports of the jobs it watches (all of them), as a real client would.
    retention: { maxJobs: 150, maxAgeMs: 4_000 },
    idempotency: { maxKeys: 1e6, windowMs: KEY_WINDOW_MS },
  });
  now = 0;
  private fetchSeq = 0;
  private keySeq = 0;
  readonly workers: SimWorker[];
  readonly payloads = new Map<number, Payload>();
  readonly acceptedCompletions = new Map<number, number>();
  /** "jobId:lease" of every abandon the queue sent. */
  private readonly abandonsSent = new Set<string>();
  readonly cancelledByClient = new Set<number>();
  /** Jobs submitted or retried and not yet reported settled. */
  readonly awaitingSettle = new Set<number>();
  readonly outcomes = new Map<number, { state: string; error: string | undefined }>();
  readonly deaths = new Map<number, { attempts: number; error: string }>();
  readonly maxAttempts = new Map<number, number>();
  /** When each delayed job (first submitted, or failed and waiting to retry) may run. */
  private readonly dueAt = new Map<number, number>();
  private readonly retried = new Set<number>();
  private readonly keyed: { key: string; specs: JobSpec[]; ids: number[]; at: number }[] = [];
  private readonly pausedUntil = new Map<string, number>();
  /** The second client's connection id; each hang-up makes a new one. */
  private onlooker = CLIENT + 1;
  readonly stats = { steps: 0, assigned: 0, completed: 0, staleRefused: 0, expired: 0, crashes: 0, freezes: 0, blips: 0, resends: 0, queueFull: 0 };

  constructor(private readonly random: () => number) {
    const shapes = [["a"], ["b"], ["a", "b"], ["b", "a"], ["a", "b"], ["default", "a", "b"]];
    this.workers = shapes.map((queues, i) => ({
      id: `w${i}`,
      queues,
      capacity: 1 + (i % 3),
      connected: false,
      downUntil: 0,
      frozenUntil: 0,
      nextHeartbeatAt: 0,
      openFetch: undefined,
      running: new Map(),
    }));
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  /** One tick: the clock moves, the shell's timer may fire, workers and (while chaotic) the client act. */
  step(chaos: boolean): void {
    this.stats.steps += 1;
    this.now += this.int(1, 25);
    // The shell's one timer; now and then it fires late, which the core must not care about.
    const wake = this.core.nextWakeAt();
    if (wake !== undefined && wake <= this.now && !(chaos && this.chance(0.3))) this.call(() => this.core.advance(this.now));
    for (const worker of this.workers) this.act(worker, chaos);
    if (chaos) this.client();
    checkInvariants(this.core);
    this.checkNoIdleWaiting();
  }

  /** The broker's job: perform the effects of every call, here by updating the simulated peers. */
  private call<T>(f: () => T): T {
    const result = f();
    for (const effect of this.core.takeEffects()) this.perform(effect);
    return result;
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case "assign": {
        const worker = this.workers.find((w) => w.id === effect.workerId);
        if (worker === undefined || !worker.connected) throw new Error(`assigned to ${effect.workerId}, which has no connection`);
        if (worker.openFetch !== effect.requestId) throw new Error(`assign for ${String(effect.requestId)}, but ${worker.id} waits on ${worker.openFetch}`);
        worker.openFetch = undefined;
        for (const job of effect.jobs) {
          this.stats.assigned += 1;
          // The worker learns what to do from the assignment, as a real one does.
          const payload = job.payload as Payload;
          if (payload?.kind === undefined) throw new Error(`assigned job ${job.jobId} without its payload`);
          if ((this.acceptedCompletions.get(job.jobId) ?? 0) > 0) throw new Error(`completed job ${job.jobId} assigned again`);
          const record = this.core.find(job.jobId);
          if (!record.ok) throw new Error(`assigned job ${job.jobId} the core cannot find`);
          const { spec, submittedAt, history } = record.value;
          const firstDue = spec.runAt ?? submittedAt + (spec.delayMs ?? 0);
          // A retried job runs at once, whatever its original delay.
          const due = history?.length === 1 && !this.retried.has(job.jobId) ? firstDue : (this.dueAt.get(job.jobId) ?? 0);
          if (this.now < due) throw new Error(`job ${job.jobId} assigned at ${this.now}, before its due time ${due}`);
          const durationMs = payload.kind === "long" ? 2_500 : payload.kind === "slow" && job.attempt === 1 ? 3 * TIMEOUT_MS : job.durationMs;
          worker.running.set(job.jobId, { payload, lease: job.lease, attempt: job.attempt, doneAt: this.now + durationMs, extendAt: this.now + 500, abandoned: false });
        }
        return;
      }
      case "abandon": {
        this.abandonsSent.add(`${effect.jobId}:${effect.lease}`);
        const worker = this.workers.find((w) => w.id === effect.workerId);
        const held = worker?.running.get(effect.jobId);
        if (worker === undefined || held?.lease !== effect.lease) return;
        if (this.chance(0.4)) held.abandoned = true;
        else worker.running.delete(effect.jobId);
        return;
      }
      case "worker-lost": {
        // The broker closes the connection; the worker notices and will say hello again.
        this.stats.expired += 1;
        const worker = this.workers.find((w) => w.id === effect.workerId);
        if (worker !== undefined) this.dropConnection(worker, this.now + this.int(0, 300));
        return;
      }
      case "settled": {
        const job = this.core.find(effect.jobId);
        if (job.ok && job.value.state !== effect.state) throw new Error(`settled ${effect.state} for job ${effect.jobId}, which is ${job.value.state}`);
        if (effect.connectionId !== CLIENT) {
          if (effect.connectionId !== this.onlooker) throw new Error(`settled job ${effect.jobId} pushed to connection ${effect.connectionId}, which closed`);
          return;
        }
        if (!this.awaitingSettle.delete(effect.jobId)) throw new Error(`job ${effect.jobId} reported settled twice`);
        this.outcomes.set(effect.jobId, { state: effect.state, error: effect.error });
        return;
      }
      case "requeued":
        if (effect.to === "delayed") {
          const job = this.core.find(effect.jobId);
          if (job.ok) this.dueAt.set(effect.jobId, job.value.deadlineAt);
        }
        return;
      case "failed":
        this.deaths.set(effect.jobId, { attempts: effect.attempts, error: effect.error });
        return;
    }
  }

  private dropConnection(worker: SimWorker, downUntil: number): void {
    worker.connected = false;
    worker.openFetch = undefined;
    worker.running.clear();
    worker.downUntil = Math.max(worker.downUntil, downUntil);
  }

  private act(worker: SimWorker, chaos: boolean): void {
    if (worker.frozenUntil > this.now) return;
    if (!worker.connected) {
      if (worker.downUntil > this.now) return;
      const hello = this.call(() => this.core.connectWorker(this.now, worker.id, worker.queues));
      if (!hello.ok) throw new Error(`hello refused for ${worker.id}: ${hello.message}`);
      worker.connected = true;
      worker.nextHeartbeatAt = this.now + this.int(150, 250);
    }
    if (chaos && this.chaos(worker)) return;
    if (this.now >= worker.nextHeartbeatAt) {
      this.call(() => this.core.touchWorker(this.now, worker.id));
      worker.nextHeartbeatAt = this.now + this.int(150, 250);
      if (!worker.connected) return;
    }
    this.report(worker);
    if (!worker.connected) return;
    const room = worker.capacity - worker.running.size;
    if (worker.openFetch === undefined && room > 0) {
      const requestId = `${worker.id}:${++this.fetchSeq}`;
      worker.openFetch = requestId;
      const fetched = this.call(() => this.core.fetch(this.now, worker.id, requestId, room));
      if (!fetched.ok) {
        if (fetched.code !== ErrorCode.helloRequired) throw new Error(`fetch refused: ${fetched.message}`);
        this.dropConnection(worker, this.now);
      }
    }
  }

  /** Crash, freeze, network blip or graceful shutdown. True when the worker does nothing else this tick. */
  private chaos(worker: SimWorker): boolean {
    const roll = this.random();
    if (roll < 0.0015) {
      this.stats.crashes += 1;
      this.call(() => this.core.disconnectWorker(this.now, worker.id, "connection closed"));
      this.dropConnection(worker, this.now + this.int(100, 1_500));
      return true;
    }
    if (roll < 0.003) {
      // Frozen (GC pause, stopped VM): silent for a while, possibly past its heartbeat timeout.
      this.stats.freezes += 1;
      worker.frozenUntil = this.now + this.int(300, 2_500);
      return true;
    }
    if (roll < 0.0045) {
      // A new connection while the old one still looks open: hello listing what it still runs,
      // except now and then a job whose assignment it never received.
      this.stats.blips += 1;
      if (worker.running.size > 0 && this.chance(0.3)) {
        const lost = this.pick([...worker.running.keys()]) as number;
        worker.running.delete(lost);
      }
      const holding = [...worker.running].map(([jobId, held]) => ({ jobId, lease: held.lease }));
      const hello = this.call(() => this.core.connectWorker(this.now, worker.id, worker.queues, holding));
      if (!hello.ok) throw new Error(`hello refused: ${hello.message}`);
      if (!hello.value.resumed) worker.running.clear();
      worker.openFetch = undefined;
      return true;
    }
    if (roll < 0.0055) {
      // Graceful shutdown: withdraw the fetch, hand back what is unfinished, leave.
      this.call(() => this.core.withdraw(this.now, worker.id));
      const items = [...worker.running].filter(([, held]) => !held.abandoned).map(([jobId, held]) => ({ jobId, lease: held.lease }));
      if (items.length > 0) {
        const refusals = this.call(() => this.core.release(this.now, worker.id, items));
        if (refusals.length > 0) throw new Error(`release of a held job refused: ${refusals[0]?.message}`);
      }
      this.call(() => this.core.disconnectWorker(this.now, worker.id, "shutting down"));
      this.dropConnection(worker, this.now + this.int(50, 800));
      return true;
    }
    return false;
  }

  /** Finishes what is due: complete, fail or (for long jobs) extend, as the payload says. */
  private report(worker: SimWorker): void {
    for (const [jobId, held] of [...worker.running]) {
      const payload = held.payload;
      if (held.doneAt > this.now) {
        if (payload.kind === "long" && held.extendAt <= this.now) {
          held.extendAt = this.now + 500;
          const extended = this.call(() => this.core.extend(this.now, worker.id, jobId, held.lease));
          if (!extended.ok) {
            // Refused only if it crossed an abandon, which this very call may have sent (see below).
            if (!held.abandoned && !this.abandonsSent.has(`${jobId}:${held.lease}`)) {
              throw new Error(`extend of held job ${jobId} refused: ${extended.message}`);
            }
            worker.running.delete(jobId);
          }
        }
        continue;
      }
      worker.running.delete(jobId);
      const failing =
        payload.kind === "poison" || payload.kind === "fatal" || (payload.kind === "flaky" && held.attempt <= payload.failures);
      const refusals = failing
        ? this.call(() => this.core.fail(this.now, worker.id, [{ jobId, lease: held.lease, error: `${payload.kind} failure`, permanent: payload.kind === "fatal" }]))
        : this.call(() => this.core.complete(this.now, worker.id, [{ jobId, lease: held.lease, result: worker.id }]));
      if (refusals.length > 0) {
        // Only a report that crossed an abandon may be refused: as stale, or as expired when
        // the job has since settled and been dropped from retention. The abandon may come out of
        // this very call: a report that arrives after the lease's deadline, before the queue's
        // timer ran, finds the lease expiring first.
        const code = refusals[0]?.code;
        const crossed = held.abandoned || this.abandonsSent.has(`${jobId}:${held.lease}`);
        if (!crossed || (code !== ErrorCode.staleLease && code !== ErrorCode.jobExpired)) {
          throw new Error(`report on job ${jobId} refused: ${refusals[0]?.message}`);
        }
        this.stats.staleRefused += 1;
      } else if (held.abandoned) {
        throw new Error(`report on abandoned job ${jobId} lease ${held.lease} accepted`);
      } else if (!failing) {
        this.stats.completed += 1;
        this.acceptedCompletions.set(jobId, (this.acceptedCompletions.get(jobId) ?? 0) + 1);
      }
    }
  }

  private client(): void {
    if (this.chance(0.08)) this.submit();
    if (this.chance(0.002)) for (let n = 0; n < 15; n += 1) this.submit();
    if (this.chance(0.004)) this.resend();
    if (this.chance(0.006)) {
      const newest = Math.max(1, this.payloads.size);
      const jobId = this.int(Math.max(1, newest - 30), newest);
      const result = this.call(() => this.core.cancel(this.now, jobId));
      if (result.ok) this.cancelledByClient.add(jobId);
    }
    if (this.chance(0.006)) {
      const failed = [...this.core.settledNewestFirst("failed")].slice(0, 20);
      const job = this.pick(failed) ?? this.pick([...this.core.settledNewestFirst("cancelled")].slice(0, 20));
      if (job !== undefined) this.retry(job.id);
    }
    if (this.chance(0.001)) {
      const queue = this.pick(["a", "b"]) as string;
      this.call(() => this.core.pause(this.now, queue));
      this.pausedUntil.set(queue, this.now + this.int(100, 1_500));
    }
    // A second client watches a few recent jobs and now and then hangs up; its watches go with it.
    if (this.chance(0.01)) {
      const newest = Math.max(1, this.payloads.size);
      this.call(() => this.core.watch(this.now, [this.int(Math.max(1, newest - 30), newest)], this.onlooker));
    }
    if (this.chance(0.003)) {
      this.call(() => this.core.closeConnection(this.now, this.onlooker));
      this.onlooker += 1;
    }
    for (const [queue, until] of this.pausedUntil) {
      if (until <= this.now) {
        this.call(() => this.core.resume(this.now, queue));
        this.pausedUntil.delete(queue);
      }
    }
  }

  /** Starts a failed or cancelled job over. The retry call itself may already hand it out. */
  private retry(jobId: number): void {
    const wasRetried = this.retried.has(jobId);
    this.retried.add(jobId);
    this.dueAt.delete(jobId);
    if (!this.call(() => this.core.retry(this.now, jobId)).ok) {
      if (!wasRetried) this.retried.delete(jobId);
      return;
    }
    this.cancelledByClient.delete(jobId);
    this.awaitingSettle.add(jobId);
    this.outcomes.delete(jobId);
    this.watchAll([jobId]);
  }

  private submit(): void {
    const specs: JobSpec[] = [];
    const kinds: Payload[] = [];
    for (let n = this.int(1, 4); n > 0; n -= 1) {
      const roll = this.random();
      const kind: Kind = roll < 0.7 ? "ok" : roll < 0.8 ? "flaky" : roll < 0.85 ? "poison" : roll < 0.9 ? "fatal" : roll < 0.95 ? "slow" : "long";
      const payload: Payload = { kind, failures: kind === "flaky" ? this.int(1, 2) : 0 };
      const spec: JobSpec = { queue: this.pick(["a", "b", "a"]) as string, durationMs: this.int(0, 300), payload };
      if (this.chance(0.3)) spec.priority = this.int(1, 9);
      if (this.chance(0.1)) spec.delayMs = this.int(1, 3_000);
      if (kind === "poison") spec.maxAttempts = 3;
      if (kind === "long") spec.timeoutMs = 1_000;
      specs.push(spec);
      kinds.push(payload);
    }
    const key = this.chance(0.15) ? `key-${++this.keySeq}` : undefined;
    // Most submissions ask to watch; the rest are watched by a separate call just after.
    const watch = this.chance(0.8);
    const result = this.call(() => this.core.submit(this.now, specs, { key, watchedBy: watch ? CLIENT : undefined }));
    if (!result.ok) {
      if (result.code !== ErrorCode.queueFull) throw new Error(`submit refused: ${result.message}`);
      this.stats.queueFull += 1;
      return;
    }
    this.registerNew(result.value, specs);
    if (!watch) this.watchAll(result.value);
    if (key !== undefined) this.keyed.push({ key, specs, ids: result.value, at: this.now });
  }

  private registerNew(ids: readonly number[], specs: readonly JobSpec[]): void {
    ids.forEach((id, i) => {
      const spec = specs[i] as JobSpec;
      this.payloads.set(id, spec.payload as Payload);
      this.maxAttempts.set(id, spec.maxAttempts ?? this.core.config.defaultMaxAttempts);
      this.awaitingSettle.add(id);
    });
  }

  /** Watches jobs; one that already settled is reported at once. */
  private watchAll(ids: readonly number[]): void {
    const result = this.call(() => this.core.watch(this.now, ids, CLIENT));
    if (!result.ok) throw new Error(`watch refused: ${result.message}`);
  }

  /** A client that never saw its confirmation sends the same submission again. */
  private resend(): void {
    const earlier = this.pick(this.keyed);
    if (earlier === undefined) return;
    this.stats.resends += 1;
    const result = this.call(() => this.core.submit(this.now, earlier.specs, { key: earlier.key }));
    if (!result.ok) return;
    if (this.now - earlier.at < KEY_WINDOW_MS) {
      if (JSON.stringify(result.value) !== JSON.stringify(earlier.ids)) throw new Error(`resent key ${earlier.key} made new jobs ${result.value}`);
      return;
    }
    // Past the window the key is forgotten: these are new jobs, as the client asked, and the
    // key now stands for them.
    this.registerNew(result.value, earlier.specs);
    this.watchAll(result.value);
    earlier.ids = result.value;
    earlier.at = this.now;
  }

  /** No worker may wait for work while one of its queues could hand it a job. */
  private checkNoIdleWaiting(): void {
    for (const worker of this.core.workerList()) {
      if (worker.fetches.length === 0) continue;
      for (const queue of worker.queues) {
        if (queue.canAssign) throw new Error(`${worker.id} waits while ${queue.name} has a job for it`);
      }
    }
  }

  /** Ends the chaos: unfreeze, resume, and let healthy workers drain what is left. */
  drain(limitMs: number): void {
    for (const worker of this.workers) worker.frozenUntil = Math.min(worker.frozenUntil, this.now);
    for (const queue of this.pausedUntil.keys()) this.call(() => this.core.resume(this.now, queue));
    this.pausedUntil.clear();
    const until = this.now + limitMs;
    const unfinished = () => this.core.counts.pending + this.core.counts.delayed + this.core.counts.running;
    while (unfinished() > 0 && this.now < until) this.step(false);
    if (unfinished() > 0) throw new Error(`${unfinished()} jobs still unfinished after draining: ${JSON.stringify(this.core.counts)}`);
  }

  /** Every job completed once, failed as designed, or cancelled by the client; none lost. */
  checkOutcome(): void {
    if (this.awaitingSettle.size > 0) throw new Error(`jobs never reported settled: ${[...this.awaitingSettle].slice(0, 10)}`);
    let completed = 0;
    for (const [jobId, payload] of this.payloads) {
      const found = this.core.find(jobId);
      if (!found.ok && found.code !== ErrorCode.jobExpired) throw new Error(`job ${jobId} lost: ${found.message}`);
      const outcome = this.outcomes.get(jobId);
      if (outcome === undefined) throw new Error(`job ${jobId} has no outcome`);
      if (found.ok && found.value.state !== outcome.state) throw new Error(`job ${jobId} is ${found.value.state}, reported ${outcome.state}`);
      const completions = this.acceptedCompletions.get(jobId) ?? 0;
      const designedToFail = payload.kind === "poison" || payload.kind === "fatal";
      switch (outcome.state) {
        case "completed":
          completed += 1;
          if (completions !== 1) throw new Error(`job ${jobId} completed, but ${completions} completions were accepted`);
          if (designedToFail) throw new Error(`${payload.kind} job ${jobId} completed`);
          break;
        case "failed": {
          const death = this.deaths.get(jobId);
          const max = this.maxAttempts.get(jobId);
          const exhausted = death?.attempts === max;
          const fatal = payload.kind === "fatal" && death?.error === "fatal failure";
          if (!(exhausted || fatal)) throw new Error(`${payload.kind} job ${jobId} failed after ${death?.attempts}/${max} attempts: ${death?.error}`);
          break;
        }
        case "cancelled":
          if (!this.cancelledByClient.has(jobId)) throw new Error(`job ${jobId} cancelled, but not by the client`);
          break;
        default:
          throw new Error(`job ${jobId} ended ${outcome.state}`);
      }
      if (outcome.state !== "completed" && completions !== 0) throw new Error(`job ${jobId} is ${outcome.state} after an accepted completion`);
      if (outcome.state !== "cancelled" && this.cancelledByClient.has(jobId)) throw new Error(`job ${jobId} was cancelled by the client but is ${outcome.state}`);
    }
    if (completed !== this.stats.completed) throw new Error(`${completed} jobs completed, workers saw ${this.stats.completed} completions accepted`);
    if (this.core.totals.completed !== this.stats.completed) throw new Error(`core counts ${this.core.totals.completed} completions, workers saw ${this.stats.completed}`);
  }
}

function simulate(seed: number, steps: number): Simulation {
  const sim = new Simulation(seededRandom(seed));
  try {
    for (let i = 0; i < steps; i += 1) sim.step(true);
    sim.drain(120_000);
    sim.checkOutcome();
  } catch (error) {
    throw new Error(`seed=${seed} at t=${sim.now} (replay: cd packages/core && DJQ_SEED=${seed} pnpm test): ${(error as Error).message}`, { cause: error });
  }
  return sim;
}

describe("simulation", () => {
  it("completes, fails as designed or cancels every job, whatever the workers do", () => {
    const seed = seedFromEnv();
    const sim = simulate(seed, 8_000);
    const { stats } = sim;
    // The run must actually have exercised the hard paths, or it proves little.
    expect(stats.assigned, `seed=${seed}`).toBeGreaterThan(500);
    expect(stats.expired + stats.crashes + stats.blips, `seed=${seed}`).toBeGreaterThan(5);
    expect(stats.staleRefused, `seed=${seed}`).toBeGreaterThan(0);
  });

  it("replays the same run from the same seed", () => {
    const seed = seedFromEnv();
    const one = simulate(seed, 1_500);
    const two = simulate(seed, 1_500);
    expect(two.stats, `seed=${seed}`).toEqual(one.stats);
    expect(two.core.totals, `seed=${seed}`).toEqual(one.core.totals);
  });
});
