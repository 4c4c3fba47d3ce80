// Handing jobs out: first come first served across a queue's waiting workers, and each worker's
// queues taken in turn so none starves. A worker with a fetch open and nothing to take stands in
// the waiting line of every queue it serves.
import type { Assignment } from "@djq/protocol";
import type { CoreState } from "./core-state.js";
import { assignmentBytes } from "./encoded-size.js";
import type { AttemptRecord, JobRecord } from "./job-record.js";
import type { NamedQueue } from "./named-queue.js";
import type { WorkerRecord } from "./worker-record.js";

/**
 * Hands jobs to waiting workers, first come first served, while this queue has any. A worker
 * that skips every type ready here keeps its place, and the next in line is asked.
 */
export function dispatch(core: CoreState, queue: NamedQueue, now: number): void {
  let node = queue.headWaiter;
  while (node !== undefined && queue.canAssign) {
    const next = node.next;
    node = serve(core, node.worker, now) ? queue.headWaiter : next;
  }
}

/** Answers the worker's oldest fetch with as many jobs as it asked for and are there; false if none was. */
export function serve(core: CoreState, worker: WorkerRecord, now: number): boolean {
  const fetch = worker.fetches.shift();
  if (fetch === undefined) return false;
  const assignments: Assignment[] = [];
  let bytes = 0;
  while (assignments.length < fetch.max) {
    const job = takeFor(worker);
    if (job === undefined) break;
    bytes += assignmentBytes(job);
    // Cut by bytes as well as count: the batch must fit the frame the queue announced.
    if (bytes > core.config.maxAssignBytes && assignments.length > 0) {
      job.queue.putBack(job);
      break;
    }
    assignments.push(assign(core, job, worker, now));
  }
  if (assignments.length === 0) {
    worker.fetches.unshift(fetch);
    return false;
  }
  leaveLines(worker);
  if (worker.fetches.length > 0) joinLines(worker);
  core.effects.push({ type: "assign", connectionId: worker.connectionId, workerId: worker.id, requestId: fetch.requestId, jobs: assignments });
  return true;
}

export function joinLines(worker: WorkerRecord): void {
  if (worker.waiterNodes !== undefined) return;
  worker.waiterNodes = worker.queues.map((queue) => queue.addWaiter(worker));
}

export function leaveLines(worker: WorkerRecord): void {
  const nodes = worker.waiterNodes;
  if (nodes === undefined) return;
  for (const node of nodes) node.queue.removeWaiter(node);
  worker.waiterNodes = undefined;
}

/** The next job for this worker, taking its queues in turn so none is starved. */
function takeFor(worker: WorkerRecord): JobRecord | undefined {
  const queues = worker.queues;
  const n = queues.length;
  for (let i = 0; i < n; i += 1) {
    const index = (worker.cursor + i) % n;
    const queue = queues[index] as NamedQueue;
    if (!queue.canAssign) continue;
    const skip = worker.skipTypes;
    const job = skip === undefined ? queue.take() : queue.takeFirst((ready) => !skip.has(ready.type));
    if (job === undefined) continue;
    worker.cursor = (index + 1) % n;
    return job;
  }
  return undefined;
}

function assign(core: CoreState, job: JobRecord, worker: WorkerRecord, now: number): Assignment {
  core.assignmentLatency.record(now - job.deadlineAt);
  core.moveTo(job, "running");
  job.attempts += 1;
  job.lease = ++core.lastLease;
  job.worker = worker;
  job.progress = undefined;
  worker.running.add(job);
  const attempt: AttemptRecord = {
    attempt: job.attempts,
    lease: job.lease,
    workerId: worker.id,
    startedAt: now,
    endedAt: undefined,
    outcome: "running",
    error: undefined,
  };
  // A first attempt gets an array of exactly one: `[]` and a push would reserve room for 17,
  // about 150 bytes that every job kept for retention would carry.
  if (job.history === undefined) job.history = [attempt];
  else job.history.push(attempt);
  job.deadlineAt = now + job.timeoutMs;
  core.deadlines.push(job);
  const spec = job.spec;
  return {
    jobId: job.id,
    lease: job.lease,
    attempt: job.attempts,
    queue: job.queue.name,
    type: job.type,
    durationMs: spec.durationMs ?? 0,
    payload: spec.payload,
    timeoutMs: job.timeoutMs,
    maxAttempts: job.maxAttempts,
  };
}
