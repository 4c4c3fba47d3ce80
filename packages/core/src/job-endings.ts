// How an attempt ends and where its job goes next: settled (completed, failed, cancelled), back
// to pending, or delayed for a retry. Also what time does on its own: a delayed job becomes due,
// a run times out, a silent worker is lost (or, having said goodbye, leaves).
import type { AttemptOutcome, TerminalState } from "@djq/protocol";
import type { CoreState } from "./core-state.js";
import { dispatch, leaveLines } from "./dispatch.js";
import type { JobRecord } from "./job-record.js";
import type { WorkerRecord } from "./worker-record.js";

/** Ends the running attempt: the job leaves its worker and its lease timer. */
export function endAttempt(core: CoreState, job: JobRecord, now: number, outcome: AttemptOutcome, error: string | undefined): void {
  const worker = job.worker;
  if (job.state !== "running" || worker === undefined) throw new Error(`job ${job.id} has no running attempt to end`);
  worker.running.delete(job);
  core.deadlines.remove(job);
  job.worker = undefined;
  const attempt = job.currentAttempt;
  if (attempt !== undefined) {
    attempt.endedAt = now;
    attempt.outcome = outcome;
    attempt.error = error;
  }
}

/** After a lost worker or a timeout: back at its original place, or failed if attempts are used up. */
export function requeueOrFail(core: CoreState, job: JobRecord, now: number, reason: string): void {
  const workerId = job.currentAttempt?.workerId ?? "";
  if (job.attempts >= job.maxAttempts) {
    failForGood(core, job, now, reason, `${reason}; no attempts left (${job.attempts}/${job.maxAttempts})`);
    return;
  }
  job.error = reason;
  core.totals.reassigned += 1;
  core.note(now, "reassigned", job, reason, workerId);
  // Reported before putBack, which may hand the job straight to a waiting worker: the
  // effects must read in the order things happened.
  core.effects.push({ type: "requeued", jobId: job.id, workerId, reason, attempt: job.attempts, to: "pending" });
  putBack(core, job, now);
}

export function putBack(core: CoreState, job: JobRecord, now: number): void {
  core.moveTo(job, "pending");
  job.deadlineAt = now;
  job.queue.putBack(job);
  dispatch(core, job.queue, now);
}

export function failForGood(core: CoreState, job: JobRecord, now: number, error: string, why: string): void {
  settle(core, job, "failed", now, undefined, error);
  core.totals.failed += 1;
  core.note(now, "failed", job, `${why}: ${error}`);
  core.effects.push({ type: "failed", jobId: job.id, error, attempts: job.attempts });
}

/** The job reaches a terminal state: kept for retention, and its subscribers told once. */
export function settle(core: CoreState, job: JobRecord, state: TerminalState, now: number, result: unknown, error: string | undefined): void {
  core.moveTo(job, state);
  job.result = result;
  job.error = error;
  job.settledAt = now;
  job.progress = undefined;
  core.retention.keep(job);
  const subscribers = core.subscriptions.take(job.id);
  if (subscribers === undefined) return;
  if (Array.isArray(subscribers)) {
    for (const connectionId of subscribers) core.effects.push({ type: "settled", connectionId, jobId: job.id, state, result, error });
  } else {
    core.effects.push({ type: "settled", connectionId: subscribers, jobId: job.id, state, result, error });
  }
}

export function becomeDue(core: CoreState, job: JobRecord, now: number): void {
  core.deadlines.remove(job);
  core.moveTo(job, "pending");
  job.order = ++core.lastOrder;
  job.queue.append(job);
  dispatch(core, job.queue, now);
}

export function timeOut(core: CoreState, job: JobRecord, now: number): void {
  const worker = job.worker as WorkerRecord;
  const reason = `timed out after ${job.timeoutMs} ms without completing`;
  core.effects.push({ type: "abandon", ...worker.address(), jobId: job.id, lease: job.lease, reason: "timed-out" });
  endAttempt(core, job, now, "timed-out", reason);
  core.note(now, "timed-out", job, reason, worker.id);
  requeueOrFail(core, job, now, reason);
}

export function restartRunTimeout(core: CoreState, job: JobRecord, now: number): void {
  job.deadlineAt = now + job.timeoutMs;
  core.deadlines.update(job);
}

export function checkSilence(core: CoreState, worker: WorkerRecord, now: number): void {
  const silentUntil = worker.lastSeenAt + core.config.heartbeatTimeoutMs;
  if (silentUntil > now) {
    worker.deadlineAt = silentUntil;
    core.deadlines.update(worker);
    return;
  }
  core.effects.push({ type: "worker-lost", connectionId: worker.connectionId, workerId: worker.id });
  loseWorker(core, worker, now, `no heartbeat for ${now - worker.lastSeenAt} ms`);
}

export function loseWorker(core: CoreState, worker: WorkerRecord, now: number, reason: string): void {
  forgetWorker(core, worker);
  const jobs = [...worker.running].sort((a, b) => a.order - b.order);
  if (jobs.length > 0 || reason !== "") core.note(now, "worker-lost", undefined, reason, worker.id);
  for (const job of jobs) {
    endAttempt(core, job, now, "worker-lost", `worker ${worker.id} lost: ${reason}`);
    requeueOrFail(core, job, now, `worker ${worker.id} lost: ${reason}`);
  }
}

/** The session's liveness connection, if bound, vouches for nothing any more: it is closed. */
export function endLiveness(core: CoreState, worker: WorkerRecord): void {
  const connectionId = core.workers.unbindLiveness(worker);
  if (connectionId !== undefined) core.effects.push({ type: "liveness-ended", connectionId, workerId: worker.id });
}

/**
 * The connection of a worker that withdrew its fetches and holds no job closed: it said goodbye
 * (drained, or stopped cleanly). Nothing was lost, so nothing joins the recent failures.
 */
export function workerLeaves(core: CoreState, worker: WorkerRecord): void {
  if (worker.running.size > 0) throw new Error(`worker ${worker.id} cannot leave while it holds ${worker.running.size} jobs`);
  forgetWorker(core, worker);
}

function forgetWorker(core: CoreState, worker: WorkerRecord): void {
  endLiveness(core, worker);
  core.workers.remove(worker);
  core.deadlines.remove(worker);
  leaveLines(worker);
  worker.fetches.length = 0;
  for (const queue of worker.queues) {
    queue.servedBy -= 1;
    core.forgetQueueIfUnused(queue);
  }
}
