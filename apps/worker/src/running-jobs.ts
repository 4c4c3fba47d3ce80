// The attempts this worker is running now, each with its lease and abort controller. It starts
// them, turns their outcomes into reports, and gives them up when the lease is gone. Only an
// attempt still "running" may be reported: work that ends after an abandon or a release is dropped.
import { DEFAULT_FRAME_BYTES, type Abandon, type Assignment, type HeldLease, type JobId, type Lease, type RequestBody } from "@djq/protocol";
import type { Logger } from "@djq/runtime";
import type { ZodType } from "zod";
import { createJobContext } from "./job-context.js";
import type { JobHandler } from "./job-handler.js";
import { runJob, type JobOutcome } from "./job-runner.js";
import type { ReportBatcher } from "./report-batcher.js";
import type { Session } from "./session.js";

interface RunningJob {
  assignment: Assignment;
  controller: AbortController;
  startedAt: number;
  state: "running" | "settled" | "abandoned" | "released";
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
}

export class RunningJobs {
  /** Keyed by jobId/lease: a job may come back with a new lease while its abandoned run winds down. */
  private readonly jobs = new Map<string, RunningJob>();

  constructor(private readonly options: RunningJobsOptions) {}

  get size(): number {
    return this.jobs.size;
  }

  /** Leases being worked on: they go in a reconnect's `holding`. */
  held(): HeldLease[] {
    return [...this.jobs.values()].map(({ assignment: { jobId, lease } }) => ({ jobId, lease }));
  }

  start(assignment: Assignment): void {
    const { jobId, lease, attempt, type, queue } = assignment;
    const job: RunningJob = { assignment, controller: new AbortController(), startedAt: Date.now(), state: "running" };
    this.jobs.set(key(jobId, lease), job);
    this.options.logger.info("job.started", { jobId, attempt, lease, type, queue });
    const ctx = createJobContext({
      assignment,
      signal: job.controller.signal,
      workerId: this.options.workerId,
      logger: this.options.logger,
      send: (body) => this.send(job, body),
      onLeaseLost: (reason) => this.giveUp(job, "abandoned", `lease lost: ${reason}`),
    });
    // Leave room in the frame for the message around the result and its ids.
    const maxFrameBytes = this.options.session()?.welcome.maxFrameBytes ?? DEFAULT_FRAME_BYTES;
    const maxResultBytes = Math.max(maxFrameBytes - 1024, Math.floor(maxFrameBytes / 2));
    void runJob({
      assignment,
      handler: this.options.handlers.get(type),
      schema: this.options.jobTypes.get(type),
      ctx,
      maxResultBytes,
    }).then((outcome) => this.settle(job, outcome));
  }

  // {"type":"abandon","jobId":1,"lease":3,"reason":"timed-out"}: stop it, and report nothing for it.
  abandon({ jobId, lease, reason }: Abandon): void {
    const job = this.jobs.get(key(jobId, lease));
    if (job !== undefined) this.giveUp(job, "abandoned", reason);
    else if (this.options.batcher.drop(jobId, lease)) {
      this.options.logger.info("job.abandoned", { jobId, lease, reason, finished: true });
      this.options.onChange();
    } else this.options.logger.debug("abandon.unknown", { jobId, lease, reason });
  }

  /** Aborts every running attempt without reporting it (its lease means nothing any more). */
  abandonAll(reason: string): number {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) this.giveUp(job, "abandoned", reason);
    return jobs.length;
  }

  /** Aborts every running attempt and returns them, for the caller to hand back to the queue. */
  releaseAll(reason: string): Assignment[] {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) this.giveUp(job, "released", reason);
    return jobs.map((job) => job.assignment);
  }

  private async send(job: RunningJob, body: RequestBody): Promise<unknown> {
    const session = this.options.session();
    if (job.state !== "running" || session === undefined) return undefined;
    return session.connection.request(body);
  }

  private settle(job: RunningJob, outcome: JobOutcome): void {
    const { jobId, lease, attempt } = job.assignment;
    if (job.state !== "running") {
      this.options.logger.debug("job.settled.unreported", { jobId, lease, state: job.state, outcome: outcome.kind });
      return;
    }
    job.state = "settled";
    this.jobs.delete(key(jobId, lease));
    const ms = Date.now() - job.startedAt;
    if (outcome.kind === "completed") {
      this.options.logger.info("job.completed", { jobId, lease, attempt, ms });
      const item = outcome.result === undefined ? { jobId, lease } : { jobId, lease, result: outcome.result };
      this.options.batcher.add({ kind: "complete", item, bytes: outcome.resultBytes + 48 });
    } else {
      this.options.logger.warn("job.failed", { jobId, lease, attempt, ms, permanent: outcome.permanent, error: outcome.error });
      const item = outcome.permanent ? { jobId, lease, error: outcome.error, permanent: true } : { jobId, lease, error: outcome.error };
      this.options.batcher.add({ kind: "fail", item, bytes: Buffer.byteLength(JSON.stringify(item)) });
    }
    this.options.onChange();
  }

  /** Its signal fires, its slot frees, and its outcome will not be reported. */
  private giveUp(job: RunningJob, state: "abandoned" | "released", reason: string): void {
    if (job.state !== "running") return;
    const { jobId, lease } = job.assignment;
    job.state = state;
    this.jobs.delete(key(jobId, lease));
    job.controller.abort(new DOMException(reason, "AbortError"));
    this.options.logger.info(state === "abandoned" ? "job.abandoned" : "job.released", { jobId, lease, reason });
    this.options.onChange();
  }
}

function key(jobId: JobId, lease: Lease): string {
  return `${jobId}/${lease}`;
}
