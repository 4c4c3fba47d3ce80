// One named queue: its ready jobs by priority level, the workers waiting on it in the order
// they asked, whether it is paused, and its counts per state. Picking the next job looks at the
// highest non-empty level through a bit mask: constant work whatever the backlog. The core
// forgets a queue once it is `unused`, so names do not pile up against the limit on them.
import { MAX_PRIORITY, MIN_PRIORITY } from "@djq/protocol";
import type { StateCounts } from "@djq/protocol";
import { emptyCounts } from "./job-states.js";
import type { JobRecord } from "./job-record.js";
import { LinkedList } from "./linked-list.js";
import { mergeSorted } from "./merge-sorted.js";
import { PriorityLane } from "./priority-lane.js";
import type { WorkerRecord } from "./worker-record.js";

export interface WaiterNode {
  readonly worker: WorkerRecord;
  readonly queue: NamedQueue;
  prev: WaiterNode | undefined;
  next: WaiterNode | undefined;
}

/** What a job of this queue gets when its spec does not say. */
export interface JobDefaults {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export class NamedQueue {
  paused = false;
  /** Connected workers that serve this queue, waiting or not. */
  servedBy = 0;
  readonly counts: StateCounts = emptyCounts();
  private readonly lanes: (PriorityLane | undefined)[] = [];
  /** Bit p set when level p has a ready job. */
  private nonEmpty = 0;
  private readonly waiting = new LinkedList<WaiterNode>();

  constructor(
    readonly name: string,
    readonly defaults: JobDefaults,
  ) {}

  get readySize(): number {
    return this.counts.pending;
  }

  /** Nothing would be lost by forgetting it: no job in any state, not paused, no worker serving it. */
  get unused(): boolean {
    if (this.paused || this.servedBy > 0) return false;
    for (const state in this.counts) if (this.counts[state as keyof StateCounts] !== 0) return false;
    return true;
  }

  /** A job can be handed out now. */
  get canAssign(): boolean {
    return !this.paused && this.nonEmpty !== 0;
  }

  append(job: JobRecord): void {
    this.lane(job.priority).append(job);
    this.nonEmpty |= 1 << job.priority;
  }

  putBack(job: JobRecord): void {
    this.lane(job.priority).putBack(job);
    this.nonEmpty |= 1 << job.priority;
  }

  take(): JobRecord | undefined {
    if (this.nonEmpty === 0) return undefined;
    const level = 31 - Math.clz32(this.nonEmpty);
    const lane = this.lanes[level] as PriorityLane;
    const job = lane.take();
    if (lane.size === 0) this.nonEmpty &= ~(1 << level);
    return job;
  }

  /**
   * The first ready job, in hand-out order, that `accepts`: for a worker that skips some types.
   * Walks past every skipped job ahead of it, so it costs as many steps as there are of those.
   */
  takeFirst(accepts: (job: JobRecord) => boolean): JobRecord | undefined {
    for (const job of this.readyInOrder()) {
      if (!accepts(job)) continue;
      this.remove(job);
      return job;
    }
    return undefined;
  }

  remove(job: JobRecord): void {
    const lane = this.lanes[job.priority] as PriorityLane;
    lane.remove(job);
    if (lane.size === 0) this.nonEmpty &= ~(1 << job.priority);
  }

  /** Ready jobs in the order they will be handed out. */
  *readyInOrder(): IterableIterator<JobRecord> {
    for (let level = MAX_PRIORITY; level >= MIN_PRIORITY; level -= 1) {
      const lane = this.lanes[level];
      if (lane !== undefined) yield* lane.inOrder();
    }
  }

  /** Ready jobs by place in line (`order`), whatever their priority: oldest first. */
  readyByPlace(): IterableIterator<JobRecord> {
    return mergeSorted(
      this.lanes.filter((lane): lane is PriorityLane => lane !== undefined).map((lane) => lane.inOrder()),
      (job) => job.order,
    );
  }

  oldestReadySubmittedAt(): number | undefined {
    let oldest: number | undefined;
    for (const lane of this.lanes) {
      const job = lane?.peek();
      if (job !== undefined && (oldest === undefined || job.submittedAt < oldest)) oldest = job.submittedAt;
    }
    return oldest;
  }

  get headWaiter(): WaiterNode | undefined {
    return this.waiting.first;
  }

  addWaiter(worker: WorkerRecord): WaiterNode {
    const node: WaiterNode = { worker, queue: this, prev: undefined, next: undefined };
    this.waiting.push(node);
    return node;
  }

  removeWaiter(node: WaiterNode): void {
    this.waiting.unlink(node);
  }

  *waiters(): IterableIterator<WorkerRecord> {
    for (const node of this.waiting) yield node.worker;
  }

  private lane(priority: number): PriorityLane {
    let lane = this.lanes[priority];
    if (lane === undefined) {
      lane = new PriorityLane();
      this.lanes[priority] = lane;
    }
    return lane;
  }
}
