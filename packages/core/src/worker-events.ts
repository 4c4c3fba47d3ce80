// What a worker's requests do: hello (and its liveness connection's), fetch, withdraw, the reports
// (complete, fail, release) and the lease keepers (extend, progress, which its watchers are told). Each takes the core after `advance(now)` has run.
import { ErrorCode, type HeldLease, type Progress, type Refusal } from "@djq/protocol";
import type { CoreState } from "./core-state.js";
import { joinLines, leaveLines, serve } from "./dispatch.js";
import type { ConnectionId } from "./effects.js";
import { endAttempt, endLiveness, failForGood, putBack, requeueOrFail, restartRunTimeout, settle } from "./job-endings.js";
import type { JobRecord } from "./job-record.js";
import type { NamedQueue } from "./named-queue.js";
import { retryDelayMs } from "./retry-policy.js";
import { done, refused, type Refused, type Result } from "./result.js";
import { WorkerRecord } from "./worker-record.js";

/**
 * A worker says hello. If the core still knows this worker id (it reconnected before being
 * declared lost), the leases it lists in `holding` stay its own and every other lease it had
 * is revoked: that job's assignment never reached it or was given up.
 */
export function connectWorker(
  core: CoreState,
  now: number,
  workerId: string,
  queueNames: readonly string[],
  holding: readonly HeldLease[],
  connectionId: ConnectionId | undefined,
  livenessToken: string | undefined,
): Result<{ resumed: boolean }> {
  const queues: NamedQueue[] = [];
  for (const name of queueNames) {
    const queue = core.queueNamed(name);
    if (queue === undefined) {
      for (const made of queues) core.forgetQueueIfUnused(made);
      return core.tooManyQueues();
    }
    queues.push(queue);
  }
  for (const queue of queues) queue.servedBy += 1;
  const existing = core.workers.get(workerId);
  if (existing === undefined) {
    const worker = new WorkerRecord(workerId, queues, now, core.config.heartbeatTimeoutMs, connectionId);
    worker.livenessToken = livenessToken;
    core.workers.add(worker);
    core.deadlines.push(worker);
    return done({ resumed: false });
  }
  const previous = core.workers.move(existing, connectionId);
  if (previous !== undefined) core.effects.push({ type: "worker-replaced", connectionId: previous, workerId });
  // The old session's liveness connection vouched for that session; this one binds its own.
  endLiveness(core, existing);
  existing.livenessToken = livenessToken;
  leaveLines(existing);
  existing.fetches.length = 0;
  const served = existing.queues;
  existing.queues = queues;
  for (const queue of served) {
    queue.servedBy -= 1;
    core.forgetQueueIfUnused(queue);
  }
  existing.cursor = 0;
  existing.lastSeenAt = now;
  const held = new Set(holding.map((h) => `${h.jobId}:${h.lease}`));
  for (const job of [...existing.running]) {
    if (!held.has(`${job.id}:${job.lease}`)) {
      // The worker may yet receive this assignment (it crossed the hello in flight): tell it.
      core.effects.push({ type: "abandon", ...existing.address(), jobId: job.id, lease: job.lease, reason: "lease-revoked" });
      endAttempt(core, job, now, "worker-lost", "the worker reconnected without this lease");
      requeueOrFail(core, job, now, "the worker reconnected without this lease");
    }
  }
  return done({ resumed: true });
}

/**
 * A worker's liveness connection names the session it keeps alive, by worker id and the token
 * the session's `welcome` carried; `tokenMatches` compares (in constant time, which is the
 * shell's to do). A newer liveness connection of the same session replaces an older one.
 */
export function bindLiveness(core: CoreState, now: number, workerId: string | undefined, connectionId: ConnectionId, tokenMatches: (token: string) => boolean): Result<void> {
  const worker = workerId === undefined ? undefined : core.workers.get(workerId);
  if (worker?.livenessToken === undefined || worker.connectionId === undefined || !tokenMatches(worker.livenessToken)) {
    return refused(ErrorCode.unknownSession, `no live session of worker ${workerId ?? "(none named)"} has this liveness token`);
  }
  const previous = core.workers.bindLiveness(worker, connectionId);
  if (previous !== undefined) core.effects.push({ type: "liveness-ended", connectionId: previous, workerId: worker.id });
  worker.lastSeenAt = now;
  return done(undefined);
}

// {"type":"fetch","max":1}   answered now or later by an `assign` effect
// {"type":"fetch","max":1,"skipTypes":["invoice"]}   …never with a job of these types
export function fetch(core: CoreState, now: number, workerId: string, requestId: unknown, max: number, skipTypes: readonly string[]): Result<void> {
  const worker = core.workers.get(workerId);
  if (worker === undefined) return refused(ErrorCode.helloRequired, `worker ${workerId} is not connected`);
  if (!(max >= 1)) throw new Error(`fetch max must be at least 1, got ${max}`);
  worker.lastSeenAt = now;
  worker.saidGoodbye = false;
  worker.fetches.push({ requestId, max });
  // The worker names every type it lacks on each fetch, so the latest list is the whole list.
  worker.skipTypes = skipTypes.length > 0 ? new Set(skipTypes) : undefined;
  if (worker.waiting) return done(undefined);
  while (worker.fetches.length > 0 && worker.queues.some((q) => q.canAssign)) {
    if (!serve(core, worker, now)) break;
  }
  if (worker.fetches.length > 0) joinLines(worker);
  return done(undefined);
}

// {"type":"withdraw"}   the worker's open fetches are dropped unanswered
export function withdraw(core: CoreState, workerId: string): void {
  const worker = core.workers.get(workerId);
  if (worker === undefined) return;
  leaveLines(worker);
  worker.fetches.length = 0;
  worker.saidGoodbye = true;
}

type Report = { jobId: number; lease: number };

// {"type":"complete","jobs":[{"jobId":1,"lease":1,"result":"ok"}]}
/** `resultBytes[i]`: the encoded size of item i's result, measured by the shell (none: no results). */
export function complete(core: CoreState, now: number, workerId: string, items: readonly (Report & { result?: unknown })[], resultBytes?: readonly number[]): Refusal[] {
  const refusals = eachHeld(core, workerId, items, (job, item, index) => {
    const bytes = resultBytes?.[index] ?? 0;
    if (bytes > core.config.memory.maxResultBytes) {
      return refused(ErrorCode.resultTooLarge, `the result of job ${job.id} is ${bytes} bytes; the limit is ${core.config.memory.maxResultBytes}`);
    }
    endAttempt(core, job, now, "completed", undefined);
    job.resultBytes = bytes;
    core.memory.charge(bytes);
    settle(core, job, "completed", now, item.result, undefined);
    core.totals.completed += 1;
    core.completionRate.count(now);
    return undefined;
  });
  // Results may take the budget past its limit: the oldest settled jobs make room at once.
  core.retention.evict(now, (job) => core.forgetJob(job));
  return refusals;
}

// {"type":"fail","jobs":[{"jobId":1,"lease":1,"error":"boom"}]}
export function fail(core: CoreState, now: number, workerId: string, items: readonly (Report & { error: string; permanent?: boolean | undefined })[]): Refusal[] {
  return eachHeld(core, workerId, items, (job, item) => {
    endAttempt(core, job, now, "failed", item.error);
    if (item.permanent || job.attempts >= job.maxAttempts) {
      failForGood(core, job, now, item.error, item.permanent ? "failed permanently" : `failed on its last attempt (${job.attempts}/${job.maxAttempts})`);
      return;
    }
    const delayMs = retryDelayMs(core.config.retry, job.id, job.attempts);
    core.moveTo(job, "delayed");
    job.error = item.error;
    job.deadlineAt = now + delayMs;
    core.deadlines.push(job);
    core.note(now, "retry-scheduled", job, `attempt ${job.attempts} failed: ${item.error}; retry in ${delayMs} ms`);
    core.effects.push({ type: "requeued", jobId: job.id, workerId, reason: `failed: ${item.error}; retry in ${delayMs} ms`, attempt: job.attempts, to: "delayed" });
  });
}

// {"type":"release","jobs":[{"jobId":1,"lease":1}]}   back unrun; the attempt is not counted
export function release(core: CoreState, now: number, workerId: string, items: readonly Report[]): Refusal[] {
  return eachHeld(core, workerId, items, (job) => {
    endAttempt(core, job, now, "released", undefined);
    job.attempts -= 1;
    putBack(core, job, now);
  });
}

// {"type":"extend","jobId":1,"lease":1}   and progress, which also extends
export function extend(core: CoreState, now: number, workerId: string, jobId: number, lease: number, progress?: Progress): Result<void> {
  const held = heldBy(core, workerId, jobId, lease);
  if (!held.ok) return held;
  if (progress !== undefined) {
    held.value.progress = progress;
    if (core.subscriptions.has(jobId)) {
      for (const connectionId of core.subscriptions.of(jobId)) core.effects.push({ type: "progress", connectionId, jobId, progress });
    }
  }
  restartRunTimeout(core, held.value, now);
  return done(undefined);
}

/** Runs `act` for each reported job the worker holds under that lease; refuses the others, and what `act` refuses. */
function eachHeld<T extends Report>(core: CoreState, workerId: string, items: readonly T[], act: (job: JobRecord, item: T, index: number) => Refused | undefined | void): Refusal[] {
  const refusals: Refusal[] = [];
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index] as T;
    const held = heldBy(core, workerId, item.jobId, item.lease);
    const outcome = held.ok ? act(held.value, item, index) : held;
    if (outcome) refusals.push({ jobId: item.jobId, code: outcome.code, message: outcome.message });
  }
  return refusals;
}

function heldBy(core: CoreState, workerId: string, jobId: number, lease: number): Result<JobRecord> {
  const found = core.find(jobId);
  if (!found.ok) return found;
  const job = found.value;
  if (job.state !== "running" || job.lease !== lease || job.worker?.id !== workerId) {
    core.totals.staleRefused += 1;
    const why =
      job.lease !== lease
        ? `lease ${lease} is not the job's current lease (${job.lease})`
        : job.state !== "running"
          ? `the job is ${job.state}`
          : "the lease belongs to another worker";
    return refused(ErrorCode.staleLease, `stale lease for job ${jobId}: ${why}`);
  }
  return done(job);
}
