// How long the queue took to give a failed worker's jobs to someone else, measured from the
// queue's own log: from the chaos action's instant to the first new job.assigned of a job the
// affected worker held. Pure: it reads log events and actions, nothing else.
import type { LogEvent } from "../harness/processes.js";
import type { ChaosAction, ChaosActionKind } from "./chaos-loop.js";

export interface Percentiles {
  samples: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
}

export interface FailureDetection extends Percentiles {
  byKind: Record<ChaosActionKind, Percentiles>;
  /** Actions on a worker that held no job. */
  idle: number;
  /** Actions whose worker held jobs but came back and finished them before the queue gave up on it. */
  notReassigned: number;
}

/**
 * For each action: the jobs the affected worker held by the queue's log (assigned to it and not yet
 * completed, failed or requeued) at that instant or given to it afterwards, before the queue saw it
 * go or the action was undone; and how long from the action until the first of them was assigned
 * again. An action on an idle worker, or one the worker got over before the queue gave up on it
 * (a short freeze), has no sample.
 */
export function failureDetection(actions: readonly ChaosAction[], queueLogs: readonly LogEvent[]): FailureDetection {
  type Assignment = { index: number; at: number; worker: string };
  const sorted = [...actions].sort((a, b) => a.at - b.at);
  const holder = new Map<number, Assignment>();
  const heldAt = new Map<ChaosAction, [number, Assignment][]>();
  const assignments = new Map<number, Assignment[]>();
  const assignedTo = new Map<string, [number, Assignment][]>();
  const goneAt = new Map<string, number[]>();
  let next = 0;
  const snapshotUntil = (at: number) => {
    while (next < sorted.length && (sorted[next] as ChaosAction).at <= at) {
      const action = sorted[next] as ChaosAction;
      heldAt.set(action, [...holder].filter(([, held]) => held.worker === action.workerId));
      next += 1;
    }
  };
  queueLogs.forEach((event, index) => {
    const at = Date.parse(event.at as string);
    snapshotUntil(at);
    const job = event.job as number;
    switch (event.event) {
      case "job.assigned": {
        const assignment = { index, at, worker: event.worker as string };
        holder.set(job, assignment);
        pushTo(assignments, job, assignment);
        pushTo(assignedTo, assignment.worker, [job, assignment]);
        break;
      }
      case "job.completed":
      case "job.attempt-failed":
      case "job.released":
      case "job.requeued":
      case "job.failed":
        holder.delete(job);
        break;
      case "worker.lost":
      case "worker.disconnected":
        pushTo(goneAt, event.worker as string, at);
        break;
    }
  });
  snapshotUntil(Infinity);

  const samples: Record<ChaosActionKind, number[]> = { kill: [], freeze: [], partition: [] };
  let idle = 0;
  let notReassigned = 0;
  for (const action of sorted) {
    const lostAt = (goneAt.get(action.workerId) ?? []).find((at) => at >= action.at) ?? Infinity;
    const windowEnd = Math.min(lostAt, action.at + action.forMs);
    const givenMeanwhile = (assignedTo.get(action.workerId) ?? []).filter(([, a]) => a.at >= action.at && a.at <= windowEnd);
    const held = [...(heldAt.get(action) ?? []), ...givenMeanwhile];
    if (held.length === 0) {
      idle += 1;
      continue;
    }
    let first = Infinity;
    for (const [job, heldAssignment] of held) {
      const again = (assignments.get(job) ?? []).find((a) => a.index > heldAssignment.index);
      if (again !== undefined && again.at < first) first = again.at;
    }
    if (first === Infinity) notReassigned += 1;
    else samples[action.kind].push(Math.max(0, first - action.at));
  }
  return {
    ...percentiles(Object.values(samples).flat()),
    byKind: { kill: percentiles(samples.kill), freeze: percentiles(samples.freeze), partition: percentiles(samples.partition) },
    idle,
    notReassigned,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { samples: sorted.length, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: sorted[sorted.length - 1] };
}
