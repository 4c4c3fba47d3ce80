// The attempts this worker is running now, each with its lease and abort controller. It starts
// them, turns their outcomes into reports, and gives them up when the lease is gone. Only an
// attempt still "running" may be reported: work that ends after an abandon or a release is dropped.
import { DEFAULT_FRAME_BYTES, type Abandon, type Assignment, type HeldLease, type JobId, type Lease, type RequestBody } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { ZodType } from "zod";
import { createJobContext, type JobContextSource } from "./job-context.js";
import type { JobHandler } from "./job-handler.js";
import { startJob, type JobOutcome, type OutcomeSink } from "./job-runner.js";
import type { ReportBatcher } from "./report-batcher.js";
import type { Session } from "./session.js";

/** Where one attempt is on this worker: a job's own states are the queue's (protocol's JobState). */
type AttemptState = "running" | "ended" | "abandoned" | "released";

class RunningJob implements JobContextSource, OutcomeSink {
  state: AttemptState = "running";
  /** Made when the handler first asks for the signal; until then an abort is only remembered. */
  private controller: AbortController | undefined;
  private abortReason: unknown;

  constructor(
    readonly assignment: Assignment,
    readonly startedAt: number,
    private readonly jobs: RunningJobs,
  ) {}

  get aborted(): boolean {
    return this.state === "abandoned" || this.state === "released";
  }

  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  send(body: RequestBody): Promise<unknown> | undefined {
    return this.jobs.send(this, body);
  }

  leaseLost(reason: string): void {
    this.jobs.giveUp(this, "abandoned", `lease lost: ${reason}`);
  }

  end(outcome: JobOutcome): void {
    this.jobs.end(this, outcome);
  }
}

export interface RunningJobsOptions {
  workerId: string;
  handlers: ReadonlyMap<string, JobHandler>;
  jobTypes: ReadonlyMap<string, ZodType>;
  logger: Logger;
  batcher: ReportBatcher;
  /** The session progress and extend go out on, if there is one now. */
  session: () => Session | undefined;
  /** A slot freed or a report was queued. */
  onChange: () => void;
  /** An attempt was given up for good, whatever its handler does next (`reason` as logged). */
  onAbandoned?: (jobId: JobId, lease: Lease, reason: string) => void;
}

export class RunningJobs {
  /** Only attempts still "running": one given up or ended leaves at once, whatever its handler does. */
  private readonly jobs = new Attempts();

  constructor(private readonly options: RunningJobsOptions) {}

  get size(): number {
    return this.jobs.size;
  }

  /** Leases being worked on: they go in a reconnect's `holding`. */
  held(): HeldLease[] {
    return this.jobs.values().map(({ assignment: { jobId, lease } }) => ({ jobId, lease }));
  }

  /** `startedAt` lets a caller starting many attempts at once read the clock once for them all. */
  start(assignment: Assignment, startedAt = Date.now()): void {
    const { jobId, lease, attempt, type, queue } = assignment;
    const { logger } = this.options;
    const job = new RunningJob(assignment, startedAt, this);
    this.jobs.add(job);
    if (logger.enabled("debug")) logger.debug("job.started", { jobId, attempt, lease, type, queue });
    // Leave room in the frame for the message around the result and its ids.
    const maxFrameBytes = this.options.session()?.welcome.maxFrameBytes ?? DEFAULT_FRAME_BYTES;
    const maxResultBytes = Math.max(maxFrameBytes - 1024, Math.floor(maxFrameBytes / 2));
    startJob(
      {
        assignment,
        handler: this.options.handlers.get(type),
        schema: this.options.jobTypes.get(type),
        ctx: createJobContext(job, this.options.workerId, logger),
        maxResultBytes,
      },
      job,
    );
  }

  // {"type":"abandon","jobId":1,"lease":3,"reason":"timed-out"}: stop it, and report nothing for it.
  abandon({ jobId, lease, reason }: Abandon): void {
    const job = this.jobs.find(jobId, lease);
    if (job !== undefined) this.giveUp(job, "abandoned", reason);
    else if (this.options.batcher.drop(jobId, lease)) {
      this.options.logger.info("job.abandoned", { jobId, lease, reason, finished: true });
      this.options.onAbandoned?.(jobId, lease, reason);
      this.options.onChange();
    } else this.options.logger.debug("abandon.unknown", { jobId, lease, reason });
  }

  /** Aborts every running attempt without reporting it (its lease means nothing any more). */
  abandonAll(reason: string): number {
    const jobs = this.jobs.values();
    for (const job of jobs) this.giveUp(job, "abandoned", reason);
    return jobs.length;
  }

  /** Aborts every running attempt and returns them, for the caller to hand back to the queue. */
  releaseAll(reason: string): Assignment[] {
    const jobs = this.jobs.values();
    for (const job of jobs) this.giveUp(job, "released", reason);
    return jobs.map((job) => job.assignment);
  }

  /** @internal For an attempt's progress and extend. */
  send(job: RunningJob, body: RequestBody): Promise<unknown> | undefined {
    const session = this.options.session();
    if (job.state !== "running" || session === undefined) return undefined;
    return session.connection.request(body);
  }

  /** @internal The attempt's outcome is in. */
  end(job: RunningJob, outcome: JobOutcome): void {
    const { jobId, lease, attempt } = job.assignment;
    const { logger } = this.options;
    if (job.state !== "running") {
      if (logger.enabled("debug")) logger.debug("job.ended.unreported", { jobId, lease, state: job.state, outcome: outcome.kind });
      return;
    }
    job.state = "ended";
    this.jobs.remove(job);
    if (outcome.kind === "completed") {
      if (logger.enabled("debug")) logger.debug("job.completed", { jobId, lease, attempt, ms: Date.now() - job.startedAt });
      const item = outcome.result === undefined ? { jobId, lease } : { jobId, lease, result: outcome.result };
      this.options.batcher.add({ kind: "complete", item, bytes: outcome.resultBytes + 48 });
    } else {
      const ms = Date.now() - job.startedAt;
      logger.warn("job.failed", { jobId, lease, attempt, ms, permanent: outcome.permanent, error: outcome.error });
      const item = outcome.permanent ? { jobId, lease, error: outcome.error, permanent: true } : { jobId, lease, error: outcome.error };
      this.options.batcher.add({ kind: "fail", item, bytes: Buffer.byteLength(JSON.stringify(item)) });
    }
    this.options.onChange();
  }

  /** @internal Its signal fires, its slot frees, and its outcome will not be reported. */
  giveUp(job: RunningJob, state: "abandoned" | "released", reason: string): void {
    if (job.state !== "running") return;
    const { jobId, lease } = job.assignment;
    job.state = state;
    this.jobs.remove(job);
    job.abort(new DOMException(reason, "AbortError"));
    this.options.logger.info(state === "abandoned" ? "job.abandoned" : "job.released", { jobId, lease, reason });
    if (state === "abandoned") this.options.onAbandoned?.(jobId, lease, reason);
    this.options.onChange();
  }
}

/**
 * Running attempts by lease: the queue numbers every assignment anew, so a lease names one attempt
 * (a job back with a new lease while its abandoned run winds down is another entry), and a number
 * key costs less than a jobId/lease string. The jobId is checked on every look-up all the same.
 */
class Attempts {
  private readonly byLease = new Map<Lease, RunningJob>();
  /** Attempts whose lease another running attempt has too. A queue never does that; kept apart if one did. */
  private readonly clashing: RunningJob[] = [];

  get size(): number {
    return this.byLease.size + this.clashing.length;
  }

  add(job: RunningJob): void {
    if (this.byLease.has(job.assignment.lease)) this.clashing.push(job);
    else this.byLease.set(job.assignment.lease, job);
  }

  find(jobId: JobId, lease: Lease): RunningJob | undefined {
    const job = this.byLease.get(lease);
    if (job !== undefined && job.assignment.jobId === jobId) return job;
    return this.clashing.find(({ assignment }) => assignment.jobId === jobId && assignment.lease === lease);
  }

  remove(job: RunningJob): void {
    const lease = job.assignment.lease;
    if (this.byLease.get(lease) === job) this.byLease.delete(lease);
    else if (this.clashing.includes(job)) this.clashing.splice(this.clashing.indexOf(job), 1);
  }

  values(): RunningJob[] {
    return [...this.byLease.values(), ...this.clashing];
  }
}
