// Read-only pictures of the core for status, listing and stats replies. Built on demand from
// the records; nothing here changes state.
import { ErrorCode, MAX_LIST_LIMIT, type AttemptView, type JobState, type JobView, type MemoryUse, type QueueStats, type StateCounts, type Totals, type WorkerView } from "@djq/protocol";
import type { AttemptRecord, JobRecord } from "./job-record.js";
import { mergeSorted } from "./merge-sorted.js";
import type { QueueCore } from "./queue-core.js";
import { done, refused, type Result } from "./result.js";

export function attemptView(a: AttemptRecord): AttemptView {
  return {
    attempt: a.attempt,
    lease: a.lease,
    workerId: a.workerId,
    startedAt: a.startedAt,
    ...(a.endedAt !== undefined ? { endedAt: a.endedAt } : {}),
    outcome: a.outcome,
    ...(a.error !== undefined ? { error: a.error } : {}),
  };
}

export function jobView(job: JobRecord): JobView {
  const view: JobView = {
    jobId: job.id,
    queue: job.queue.name,
    type: job.type,
    state: job.state,
    priority: job.priority,
    durationMs: job.spec.durationMs ?? 0,
    submittedAt: job.submittedAt,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    history: (job.history ?? []).map(attemptView),
  };
  if (job.spec.payload !== undefined) view.payload = job.spec.payload;
  if (job.state === "delayed") view.runAt = job.deadlineAt;
  if (job.state === "running") {
    view.workerId = job.worker?.id as string;
    view.lease = job.lease;
  }
  if (job.progress !== undefined) view.progress = job.progress;
  if (job.result !== undefined) view.result = job.result;
  if (job.error !== undefined) view.error = job.error;
  if (job.settledAt !== 0) view.settledAt = job.settledAt;
  return view;
}

export interface ListQuery {
  state: JobState;
  queue?: string | undefined;
  limit?: number | undefined;
  /** A place in the state's listing, as a previous page's `next` gave it: only jobs after it. */
  after?: number | undefined;
}

export interface JobsPage {
  jobs: JobView[];
  /** The place of the last job shown, when more follow: pass it as `after`. */
  next?: number;
}

/**
 * One page of jobs in a state, oldest first: pending by place in line (a job put back after a
 * failure keeps its place), the others in the order they entered the state (delayed, started,
 * settled). The cursor is that place, not a job, so it still holds when the last job shown has
 * left the state since; a place never handed out is refused. `fits` is asked about each view
 * before it joins the page (the shell measures its bytes); the first it refuses ends the page.
 */
export function listJobs(core: QueueCore, query: ListQuery, fits: (view: JobView) => boolean = () => true): Result<JobsPage> {
  const lastPlace = query.state === "pending" ? core.lastOrder : core.lastListOrder;
  const after = query.after ?? 0;
  if (after > lastPlace) {
    return refused(ErrorCode.badCursor, `no ${query.state} listing has reached place ${after}: the last place given out is ${lastPlace}; start without a cursor`);
  }
  const limit = Math.min(query.limit ?? 50, MAX_LIST_LIMIT);
  const page: JobView[] = [];
  let lastShown = 0;
  let more = false;
  for (const job of candidates(core, query)) {
    if (job.listOrder <= after || (query.queue !== undefined && job.queue.name !== query.queue)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    const view = jobView(job);
    if (!fits(view)) {
      more = true;
      break;
    }
    page.push(view);
    lastShown = job.listOrder;
  }
  return done(more && page.length > 0 ? { jobs: page, next: lastShown } : { jobs: page });
}

/** The state's jobs in listing order. */
function candidates(core: QueueCore, query: ListQuery): Iterable<JobRecord> {
  const byListOrder = (a: JobRecord, b: JobRecord) => a.listOrder - b.listOrder;
  switch (query.state) {
    case "pending": {
      const queues = core.queueList().filter((queue) => query.queue === undefined || queue.name === query.queue);
      return mergeSorted(
        queues.map((queue) => queue.readyByPlace()),
        (job) => job.order,
      );
    }
    case "delayed":
      return core.delayedJobs().sort(byListOrder);
    case "running":
      return core
        .workerList()
        .flatMap((w) => [...w.running])
        .sort(byListOrder);
    default:
      return core.settledInOrder(query.state);
  }
}

export interface StatsView {
  counts: StateCounts;
  totals: Totals;
  queues: Record<string, QueueStats>;
  workers: WorkerView[];
  completedPerSecond: number[];
  oldestPendingAgeMs?: number;
  recent: ReturnType<QueueCore["recentEvents"]>[number][];
  memory: MemoryUse;
}

/** The caller runs `core.advance(now)` first (`QueueCore.stats` does), so what fell due by `now` is counted where it is. */
export function statsView(core: QueueCore, now: number): StatsView {
  const queues: Record<string, QueueStats> = {};
  let oldest: number | undefined;
  for (const queue of core.queueList()) {
    queues[queue.name] = { counts: { ...queue.counts }, paused: queue.paused };
    const at = queue.oldestReadySubmittedAt();
    if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
  }
  const workers: WorkerView[] = core.workerList().map((worker) => ({
    workerId: worker.id,
    queues: worker.queues.map((q) => q.name),
    connectedAt: worker.connectedAt,
    lastSeenAt: worker.lastSeenAt,
    waiting: worker.waiting,
    running: [...worker.running].map((job) => ({
      jobId: job.id,
      lease: job.lease,
      attempt: job.attempts,
      startedAt: job.currentAttempt?.startedAt ?? 0,
      ...(job.progress !== undefined ? { progress: job.progress } : {}),
    })),
  }));
  const view: StatsView = {
    counts: { ...core.counts },
    totals: { ...core.totals },
    queues,
    workers,
    completedPerSecond: core.completedPerSecond(now),
    recent: [...core.recentEvents()],
    memory: { heldBytes: core.memory.heldBytes, limitBytes: core.config.memory.maxBytes },
  };
  if (oldest !== undefined) view.oldestPendingAgeMs = now - oldest;
  return view;
}
