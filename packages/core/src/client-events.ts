// What a client's requests do to jobs: submit, cancel, retry, watch, pause and resume. Each takes
// the core after `advance(now)` has run what fell due.
import { DEFAULT_QUEUE_NAME, ErrorCode, isTerminal, type JobSpec, type JobState } from "@djq/protocol";
import type { CoreState } from "./core-state.js";
import { dispatch } from "./dispatch.js";
import type { ConnectionId } from "./effects.js";
import { endAttempt, settle } from "./job-endings.js";
import { JobRecord } from "./job-record.js";
import { JOB_RECORD_BYTES } from "./memory-budget.js";
import type { NamedQueue } from "./named-queue.js";
import { done, refused, type Result } from "./result.js";
import type { WorkerRecord } from "./worker-record.js";

export interface SubmitOptions {
  key?: string | undefined;
  /** A digest of the submitted jobs, computed by the shell: a key reused with another body is refused. */
  bodyDigest?: string | undefined;
  /** The connection to tell when each job settles, if it asked to watch them. */
  watchedBy?: ConnectionId | undefined;
  /** Encoded size of each job's payload, as the shell measured it; absent means none. */
  payloadBytes?: readonly number[] | undefined;
}

// {"type":"submit","jobs":[{"durationMs":500}],"key":"k1","watch":true}
export function submit(core: CoreState, now: number, specs: readonly JobSpec[], options: SubmitOptions): Result<number[]> {
  const watcher = options.watchedBy;
  if (options.key !== undefined) {
    const earlier = core.keys.lookup(options.key);
    if (earlier !== undefined) {
      if (earlier.bodyDigest !== (options.bodyDigest ?? "")) {
        return refused(ErrorCode.keyConflict, `idempotency key ${JSON.stringify(options.key)} was used for a different request (jobs ${describeIds(earlier.jobIds)}); use a new key for new jobs`);
      }
      if (watcher !== undefined) for (const id of earlier.jobIds) subscribe(core, id, watcher);
      return done(earlier.jobIds);
    }
  }
  const full = core.refuseIfFull(specs.length) ?? core.refuseIfNoRoom(specs.length, options.payloadBytes);
  if (full !== undefined) return full;
  const named: NamedQueue[] = [];
  for (const spec of specs) {
    const queue = core.queueNamed(spec.queue ?? DEFAULT_QUEUE_NAME);
    if (queue === undefined) {
      for (const made of named) core.forgetQueueIfUnused(made);
      return core.tooManyQueues();
    }
    named.push(queue);
  }
  const ids: number[] = new Array(specs.length);
  const touched = new Set<NamedQueue>();
  for (let i = 0; i < specs.length; i += 1) {
    const spec = specs[i] as JobSpec;
    const queue = named[i] as NamedQueue;
    const runAt = spec.runAt ?? (spec.delayMs ? now + spec.delayMs : undefined);
    const delayed = runAt !== undefined && runAt > now;
    const job = new JobRecord(++core.lastJobId, spec, queue, now, delayed ? "delayed" : "pending");
    job.payloadBytes = options.payloadBytes?.[i] ?? 0;
    core.memory.charge(JOB_RECORD_BYTES + job.payloadBytes);
    core.jobs.set(job.id, job);
    core.changes?.job(job);
    if (watcher !== undefined) core.subscriptions.add(job.id, watcher);
    core.counts[job.state] += 1;
    queue.counts[job.state] += 1;
    if (delayed) {
      job.listOrder = ++core.lastListOrder;
      job.deadlineAt = runAt;
      core.deadlines.push(job);
    } else {
      job.order = ++core.lastOrder;
      queue.append(job);
      touched.add(queue);
    }
    ids[i] = job.id;
  }
  core.totals.submitted += specs.length;
  if (options.key !== undefined) {
    const bodyDigest = options.bodyDigest ?? "";
    core.keys.remember(options.key, ids, bodyDigest, now);
    core.changes?.key(options.key, ids, bodyDigest, now);
  }
  for (const queue of touched) dispatch(core, queue, now);
  return done(ids);
}

// {"type":"cancel","jobId":1}
export function cancel(core: CoreState, now: number, jobId: number): Result<JobState> {
  const found = core.find(jobId);
  if (!found.ok) return found;
  const job = found.value;
  const was = job.state;
  switch (was) {
    case "pending":
      job.queue.remove(job);
      break;
    case "delayed":
      core.deadlines.remove(job);
      break;
    case "running": {
      const worker = job.worker as WorkerRecord;
      endAttempt(core, job, now, "cancelled", "cancelled by a client");
      core.effects.push({ type: "abandon", ...worker.address(), jobId: job.id, lease: job.lease, reason: "cancelled" });
      core.note(now, "cancelled", job, "cancelled while running");
      break;
    }
    default:
      return refused(ErrorCode.invalidState, `job ${jobId} is ${was} and cannot be cancelled`);
  }
  settle(core, job, "cancelled", now, undefined, "cancelled by a client");
  core.totals.cancelled += 1;
  return done(was);
}

// {"type":"retry","jobId":1}   a failed or cancelled job starts over at the back of its queue
export function retry(core: CoreState, now: number, jobId: number): Result<void> {
  const found = core.find(jobId);
  if (!found.ok) return found;
  const job = found.value;
  if (job.state !== "failed" && job.state !== "cancelled") {
    return refused(ErrorCode.invalidState, `job ${jobId} is ${job.state}; only failed or cancelled jobs can be retried`);
  }
  const full = core.refuseIfFull(1);
  if (full !== undefined) return full;
  core.retention.forget(job);
  job.attempts = 0;
  job.error = undefined;
  job.result = undefined;
  core.memory.release(job.resultBytes);
  job.resultBytes = 0;
  job.settledAt = 0;
  core.moveTo(job, "pending");
  job.order = ++core.lastOrder;
  job.deadlineAt = now;
  job.queue.append(job);
  core.totals.retried += 1;
  dispatch(core, job.queue, now);
  return done(undefined);
}

// {"type":"watch","jobIds":[1,2]}   settled ones are reported at once, the rest when they settle;
// one unknown id refuses the whole list and subscribes to none of it
export function watch(core: CoreState, jobIds: readonly number[], connectionId: ConnectionId): Result<void> {
  for (const id of jobIds) {
    const found = core.find(id);
    if (!found.ok) return found;
  }
  for (const id of jobIds) subscribe(core, id, connectionId);
  return done(undefined);
}

// {"type":"pause","queue":"default"}   a queue that does not exist is refused unless "create":true
export function pause(core: CoreState, now: number, queueName: string, create: boolean): Result<void> {
  const queue = queueToSwitch(core, queueName, create);
  if (!queue.ok) return queue;
  queue.value.paused = true;
  core.changes?.paused(queueName, true, now);
  return done(undefined);
}

// {"type":"resume","queue":"default"}
export function resume(core: CoreState, now: number, queueName: string, create: boolean): Result<void> {
  const queue = queueToSwitch(core, queueName, create);
  if (!queue.ok) return queue;
  queue.value.paused = false;
  core.changes?.paused(queueName, false, now);
  dispatch(core, queue.value, now);
  core.forgetQueueIfUnused(queue.value);
  return done(undefined);
}

/** A typo in `pause` must not make up a paused queue that nothing serves. */
function queueToSwitch(core: CoreState, queueName: string, create: boolean): Result<NamedQueue> {
  const existing = core.existingQueue(queueName);
  if (existing !== undefined) return done(existing);
  if (!create) return refused(ErrorCode.unknownQueue, `no queue named ${JSON.stringify(queueName)} exists (none holds a job, is paused or is served by a worker); pass create to make it`);
  const made = core.queueNamed(queueName);
  return made === undefined ? core.tooManyQueues() : done(made);
}

function describeIds(ids: readonly number[]): string {
  return ids.length <= 3 ? ids.join(", ") : `${ids[0]}…${ids[ids.length - 1]}`;
}

function subscribe(core: CoreState, jobId: number, connectionId: ConnectionId): void {
  const job = core.jobs.get(jobId);
  if (job === undefined) return;
  if (isTerminal(job.state)) {
    core.effects.push({ type: "settled", connectionId, jobId, state: job.state, result: job.result, error: job.error });
  } else {
    core.subscriptions.add(jobId, connectionId);
  }
}
