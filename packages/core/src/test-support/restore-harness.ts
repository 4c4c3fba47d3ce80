// Restarting a core from the records another core reported, and the state to compare the two
// by. Test-only (excluded from the build).
import { JournalRecord } from "@djq/protocol";
import type { CoreConfig } from "../core-config.js";
import { checkInvariants } from "../invariants.js";
import type { QueueCore } from "../queue-core.js";
import { jobView } from "../views.js";
import { newCore } from "./core-harness.js";

/** A new core restored from `records`, each carried through JSON and checked by its schema on the
 * way, as the journal's reader does; throws the reason a record is refused. */
export function restartFrom(records: readonly JournalRecord[], now: number, graceMs: number, config: Partial<CoreConfig> = {}): QueueCore {
  const next = newCore({ ...config, recordChanges: true });
  for (const record of records) {
    const refused = next.restore(JournalRecord.parse(JSON.parse(JSON.stringify(record))));
    if (refused !== undefined) throw new Error(refused);
  }
  next.finishRestore(now, graceMs);
  checkInvariants(next);
  return next;
}

/** Every job's view plus what a view leaves out but a restart must keep: leases, listing places,
 * when a running job's lease runs out, result sizes and the memory they are charged, and the
 * statistics totals. */
export function fullState(core: QueueCore) {
  const jobs = [...core.allJobs()].sort((a, b) => a.id - b.id);
  return {
    jobs: jobs.map((job) => ({
      ...jobView(job),
      lease: job.lease,
      listOrder: job.listOrder,
      resultBytes: job.resultBytes,
      leaseExpiresAt: job.state === "running" ? job.deadlineAt : undefined,
      workerId: job.worker?.id,
    })),
    heldBytes: core.memory.heldBytes,
    counters: [core.lastJobId, core.lastLease, core.lastOrder],
    totals: { ...core.totals },
    // A place given to a job that went back to pending in the same event is in no record (a
    // pending job has none), so the restored counter may be lower; it must still be above
    // every place a job in a listing holds.
    listOrderAboveEveryPlace: jobs.every((job) => job.state === "pending" || job.listOrder <= core.lastListOrder),
  };
}
