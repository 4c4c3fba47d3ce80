// Checks that must hold after every step of the core. Tests and the randomised simulation call
// it; it walks every record, so it is never called on the hot path.
import { isTerminal, type JobState } from "@djq/protocol";
import { emptyCounts } from "./job-states.js";
import { JOB_RECORD_BYTES } from "./memory-budget.js";
import type { QueueCore } from "./queue-core.js";

export function checkInvariants(core: QueueCore): void {
  const fail = (message: string): never => {
    throw new Error(`invariant broken: ${message}`);
  };
  const counts = emptyCounts();
  const ready = new Set<number>();
  for (const queue of core.queueList()) {
    const queueCounts = emptyCounts();
    let seen = 0;
    for (const job of queue.readyInOrder()) {
      if (job.state !== "pending") fail(`job ${job.id} is in ${queue.name}'s ready line but ${job.state}`);
      if (job.queue !== queue) fail(`job ${job.id} is in the wrong queue's line`);
      if (ready.has(job.id)) fail(`job ${job.id} is in a ready line twice`);
      ready.add(job.id);
      seen += 1;
    }
    for (const job of core.allJobs()) if (job.queue === queue) queueCounts[job.state] += 1;
    for (const state of Object.keys(queueCounts) as JobState[]) {
      if (queueCounts[state] !== queue.counts[state]) fail(`queue ${queue.name} counts ${state}=${queue.counts[state]}, records say ${queueCounts[state]}`);
    }
    if (seen !== queue.counts.pending) fail(`queue ${queue.name} has ${seen} ready jobs but counts ${queue.counts.pending}`);
    const serving = core.workerList().reduce((n, w) => n + w.queues.filter((q) => q === queue).length, 0);
    if (serving !== queue.servedBy) fail(`queue ${queue.name} counts ${queue.servedBy} workers serving it, workers say ${serving}`);
    if (queue.unused) fail(`queue ${queue.name} holds nothing, is not paused and is served by no one, yet is remembered`);
  }
  const known = new Set(core.queueList());
  for (const worker of core.workerList()) {
    for (const queue of worker.queues) if (!known.has(queue)) fail(`worker ${worker.id} serves a queue ${queue.name} the core forgot`);
  }
  for (const job of core.allJobs()) if (!known.has(job.queue)) fail(`job ${job.id} is in a queue ${job.queue.name} the core forgot`);
  const runningByWorker = new Map<number, string>();
  for (const worker of core.workerList()) {
    for (const job of worker.running) {
      if (job.state !== "running") fail(`worker ${worker.id} holds job ${job.id} which is ${job.state}`);
      if (job.worker !== worker) fail(`job ${job.id} is held by ${worker.id} but names another worker`);
      if (runningByWorker.has(job.id)) fail(`job ${job.id} is held by two workers`);
      runningByWorker.set(job.id, worker.id);
    }
  }
  // A liveness connection is bound to one live session, from both sides, and is never its hello connection.
  let bound = 0;
  for (const worker of core.workerList()) {
    if (worker.livenessConnectionId === undefined) continue;
    bound += 1;
    if (worker.livenessConnectionId === worker.connectionId) fail(`worker ${worker.id} has connection ${worker.connectionId} as its own liveness connection`);
    if (core.workers.keptAliveBy(worker.livenessConnectionId) !== worker) fail(`worker ${worker.id}'s liveness connection ${worker.livenessConnectionId} is not registered to it`);
  }
  for (const [connectionId, worker] of core.workers.livenessBindings()) {
    if (core.workers.get(worker.id) !== worker) fail(`liveness connection ${connectionId} keeps alive worker ${worker.id}, which is gone`);
    bound -= 1;
  }
  if (bound !== 0) fail("the liveness bindings of workers and of connections disagree");
  const delayed = new Set(core.delayedJobs().map((j) => j.id));
  let heldBytes = 0;
  for (const job of core.allJobs()) {
    counts[job.state] += 1;
    heldBytes += JOB_RECORD_BYTES + job.payloadBytes + job.resultBytes;
    if (job.state === "pending" && !ready.has(job.id)) fail(`pending job ${job.id} is not in a ready line`);
    if (job.state === "running" && !runningByWorker.has(job.id)) fail(`running job ${job.id} is held by no worker`);
    if (job.state !== "running" && job.worker !== undefined) fail(`job ${job.id} is ${job.state} but still names a worker`);
    if (job.state === "delayed" && !delayed.has(job.id)) fail(`delayed job ${job.id} has no due time`);
    if (job.attempts > job.maxAttempts) fail(`job ${job.id} ran ${job.attempts} attempts of ${job.maxAttempts}`);
    const history = job.history ?? [];
    const completions = history.filter((a) => a.outcome === "completed").length;
    if (completions > 1) fail(`job ${job.id} was completed ${completions} times`);
    if (job.state === "completed" && completions !== 1) fail(`completed job ${job.id} has no completed attempt`);
    if (completions === 1 && job.state !== "completed") fail(`job ${job.id} completed once but is ${job.state}`);
    const open = history.filter((a) => a.outcome === "running").length;
    if (open !== (job.state === "running" ? 1 : 0)) fail(`job ${job.id} (${job.state}) has ${open} open attempts`);
  }
  for (const state of Object.keys(counts) as JobState[]) {
    if (counts[state] !== core.counts[state]) fail(`core counts ${state}=${core.counts[state]}, records say ${counts[state]}`);
  }
  if (heldBytes !== core.memory.heldBytes) fail(`the memory budget holds ${core.memory.heldBytes} bytes, records say ${heldBytes}`);
  // Who watches which job is kept from both sides; they must agree, and only unsettled jobs are watched.
  let pairs = 0;
  for (const [jobId, connectionId] of core.subscriptions.pairs()) {
    pairs += 1;
    const job = core.find(jobId);
    if (!job.ok || isTerminal(job.value.state)) fail(`connection ${connectionId} watches job ${jobId}, which is ${job.ok ? job.value.state : "gone"}`);
    if (!core.subscriptions.of(jobId).includes(connectionId)) fail(`connection ${connectionId} watches job ${jobId}, but the job does not list it`);
  }
  let listed = 0;
  for (const job of core.allJobs()) listed += core.subscriptions.of(job.id).length;
  if (listed !== pairs) fail(`jobs list ${listed} watchers, connections ${pairs}`);
}
