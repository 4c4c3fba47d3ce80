// Turns what a chaos run left behind (the queue's JSON log, the workers' logs, the clients'
// summaries, the queue's final listing and the actions taken) into the figures that say whether
// failure handling held, and prints them. Pure: it reads records, it starts and stops nothing.
import type { JobView, StatsSnapshot } from "@djq/client";
import type { LogEvent } from "../harness/processes.js";
import { chaosActionKinds, type ChaosAction, type ChaosActionKind } from "./chaos-loop.js";
import type { ChaosClientSummary } from "./client-summary.js";
import { failureDetection, type FailureDetection } from "./failure-detection.js";

export interface ClientOutcome {
  name: string;
  code: number | null;
  signal: string | null;
  summary: ChaosClientSummary | undefined;
  stderrTail: string;
}

/** The queue's own view at the end, read over the client library. */
export interface FinalListing {
  stats: StatsSnapshot;
  completed: number[];
  failed: JobView[];
  /** Jobs still delayed, pending or running once every client was done: each one is lost. */
  unsettled: JobView[];
}

export interface ChaosRecords {
  seed: number;
  config: { durationMs: number; workers: number; concurrency: number; clients: number; jobs: number };
  elapsedMs: number;
  actions: ChaosAction[];
  queueLogs: LogEvent[];
  /** Exit of the queue process before the run ended it, if it died on its own. */
  queueExit: { code: number | null; signal: string | null } | undefined;
  /** Times the run SIGKILLed and restarted the queue (with its journal). A killed queue may have
   * logged a submission or a completion whose record never reached the disk and whose reply was
   * never sent: then the jobs that count are those the clients were told of, and the completions
   * those the workers were told were accepted (their `report.acked` lines), one per lease. */
  queueKills?: number;
  workerLogs: LogEvent[][];
  clients: ClientOutcome[];
  final: FinalListing | undefined;
}

export interface ChaosReport {
  seed: number;
  config: ChaosRecords["config"];
  elapsedMs: number;
  actions: Record<ChaosActionKind, number> & { total: number };
  jobs: {
    submitted: number;
    completed: number;
    failedAsDesigned: number;
    /** Submitted ids neither completed nor failed as designed. Must be 0. */
    lost: number;
    lostIds: number[];
    /** Jobs that failed although not designed to. Must be 0. */
    unexpectedFailures: number;
    unexpectedFailureIds: number[];
    /** Jobs designed to fail every attempt that completed anyway. Must be 0. */
    designedFailuresCompleted: number;
    /** Jobs designed to fail once that then completed. */
    failOnceRecovered: number;
    /** Still delayed, pending or running at the end (each one is also lost). */
    unsettledAtEnd: number;
  };
  /** Job ids with more than one `job.completed` in the queue's log. Must be 0. */
  doubleCompletions: number;
  doubleCompletionIds: number[];
  staleReportsRefused: { queueLog: number; queueStats: number | undefined; workerLogs: number };
  reassignments: { total: number; afterLostWorker: number; afterFailedAttempt: number; dead: number; queueStats: number | undefined };
  workers: { lostOnSilence: number; disconnected: number; reconnects: number; processesStarted: number; crashed: number };
  detection: FailureDetection;
  clients: { completed: number; failed: { name: string; reason: string }[]; disagreements: number };
  problems: string[];
  ok: boolean;
}

const SHOWN_IDS = 20;

export function buildChaosReport(records: ChaosRecords): ChaosReport {
  const { queueLogs, final } = records;
  const problems: string[] = [];

  const killed = (records.queueKills ?? 0) > 0;
  const submitted = killed ? acknowledgedIds(records.clients) : submittedIds(queueLogs);
  const completed = new Set(final?.completed ?? []);
  const failedAsDesigned = new Set<number>();
  const unexpectedFailureIds: number[] = [];
  for (const job of final?.failed ?? []) {
    if (designedToFailAlways(job.payload)) failedAsDesigned.add(job.jobId);
    else unexpectedFailureIds.push(job.jobId);
  }
  const lostIds = [...submitted].filter((id) => !completed.has(id) && !failedAsDesigned.has(id)).sort((a, b) => a - b);

  const completions = new Map<number, Set<unknown>>();
  const accepted = (jobId: number, distinct: unknown) => completions.set(jobId, (completions.get(jobId) ?? new Set()).add(distinct));
  if (killed) {
    // A killed queue may have logged a completion it never recorded nor acknowledged: count what
    // the workers were told was accepted, each lease once (a report resent after a restart).
    for (const event of records.workerLogs.flat()) {
      if (event.event !== "report.acked" || event.report !== "complete") continue;
      for (const pair of String(event.jobs).split(",")) {
        const [jobId, lease] = pair.split(":");
        accepted(Number(jobId), lease);
      }
    }
  } else {
    let line = 0;
    for (const event of queueLogs) if (event.event === "job.completed") accepted(event.job as number, ++line);
  }
  const doubleCompletionIds = [...completions].filter(([, leases]) => leases.size > 1).map(([id]) => id);

  const designedAlways = new Set(records.clients.flatMap((c) => c.summary?.designed.failAlways ?? []));
  const designedOnce = new Set(records.clients.flatMap((c) => c.summary?.designed.failOnce ?? []));
  const designedFailuresCompleted = [...designedAlways].filter((id) => completed.has(id)).length;
  const failOnceRecovered = [...designedOnce].filter((id) => completed.has(id)).length;

  const requeued = queueLogs.filter((e) => e.event === "job.requeued");
  const afterFailedAttempt = requeued.filter((e) => String(e.reason).startsWith("failed:")).length;
  const workerEvents = records.workerLogs.flat();

  const clientsFailed: { name: string; reason: string }[] = [];
  let disagreements = 0;
  for (const client of records.clients) {
    const reason = clientFailure(client);
    if (reason !== undefined) clientsFailed.push({ name: client.name, reason });
    for (const id of client.summary?.settled.completed ?? []) if (!completed.has(id)) disagreements += 1;
    for (const id of client.summary?.settled.failed ?? []) if (completed.has(id) || !isFailed(final, id)) disagreements += 1;
    disagreements += client.summary?.settled.cancelled.length ?? 0;
  }

  const actions = { kill: 0, freeze: 0, partition: 0, total: records.actions.length };
  for (const action of records.actions) actions[action.kind] += 1;
  const detection = failureDetection(records.actions, queueLogs);

  if (records.queueExit !== undefined) problems.push(`the queue exited on its own (code ${records.queueExit.code}, signal ${records.queueExit.signal})`);
  if (final === undefined) problems.push("the queue's final listing could not be read");
  if (lostIds.length > 0) problems.push(`${lostIds.length} jobs lost: ${shown(lostIds)}`);
  if (doubleCompletionIds.length > 0) problems.push(`${doubleCompletionIds.length} jobs completed more than once: ${shown(doubleCompletionIds)}`);
  if (unexpectedFailureIds.length > 0) problems.push(`${unexpectedFailureIds.length} jobs failed that were not designed to: ${shown(unexpectedFailureIds)}`);
  if (designedFailuresCompleted > 0) problems.push(`${designedFailuresCompleted} jobs designed to fail completed`);
  for (const failed of clientsFailed) problems.push(`client ${failed.name} failed: ${failed.reason}`);
  if (disagreements > 0) problems.push(`${disagreements} settled states seen by clients disagree with the queue's listing`);
  if (submitted.size !== records.config.jobs) problems.push(`${killed ? "the clients were told of" : "the queue logged"} ${submitted.size} submitted jobs, ${records.config.jobs} were asked for`);
  const crashed = workerEvents.filter((e) => e.event === "crash" || e.event === "fatal").length;
  if (crashed > 0) problems.push(`${crashed} worker processes crashed on their own`);
  if (queueLogs.some((e) => e.event === "invariant.broken" || e.event === "request.crashed")) problems.push("the queue logged a broken invariant or a crashed request");

  return {
    seed: records.seed,
    config: records.config,
    elapsedMs: records.elapsedMs,
    actions,
    jobs: {
      submitted: submitted.size,
      completed: completed.size,
      failedAsDesigned: failedAsDesigned.size,
      lost: lostIds.length,
      lostIds: lostIds.slice(0, SHOWN_IDS),
      unexpectedFailures: unexpectedFailureIds.length,
      unexpectedFailureIds: unexpectedFailureIds.slice(0, SHOWN_IDS),
      designedFailuresCompleted,
      failOnceRecovered,
      unsettledAtEnd: final?.unsettled.length ?? 0,
    },
    doubleCompletions: doubleCompletionIds.length,
    doubleCompletionIds: doubleCompletionIds.slice(0, SHOWN_IDS),
    staleReportsRefused: {
      queueLog: queueLogs.filter((e) => e.event === "report.refused").length,
      queueStats: final?.stats.totals.staleRefused,
      workerLogs: workerEvents.filter((e) => e.event === "report.refused").length,
    },
    reassignments: {
      total: requeued.length,
      afterLostWorker: requeued.length - afterFailedAttempt,
      afterFailedAttempt,
      dead: queueLogs.filter((e) => e.event === "job.failed").length,
      queueStats: final?.stats.totals.reassigned,
    },
    workers: {
      lostOnSilence: queueLogs.filter((e) => e.event === "worker.lost").length,
      disconnected: queueLogs.filter((e) => e.event === "worker.disconnected").length,
      reconnects: workerEvents.filter((e) => e.event === "reconnecting").length,
      processesStarted: records.workerLogs.length,
      crashed,
    },
    detection,
    clients: { completed: records.clients.length - clientsFailed.length, failed: clientsFailed, disagreements },
    problems,
    ok: problems.length === 0,
  };
}

export function formatChaosReport(report: ChaosReport): string {
  const { config, jobs, actions, detection: d } = report;
  const ms = (value: number | undefined) => (value === undefined ? "-" : `${Math.round(value)} ms`);
  const perKind = chaosActionKinds.map((kind) => `${kind} ${ms(d.byKind[kind].p50Ms)}/${ms(d.byKind[kind].p99Ms)} (n=${d.byKind[kind].samples})`).join(", ");
  const lines = [
    `djq chaos report — seed ${report.seed} (replay with --seed ${report.seed} or DJQ_SEED=${report.seed})`,
    `  run                        ${(config.durationMs / 1000).toFixed(0)} s of chaos, ${config.workers} workers x ${config.concurrency}, ${config.clients} client processes, ${(report.elapsedMs / 1000).toFixed(1)} s in all`,
    `  chaos actions              ${actions.total}: ${actions.kill} kill+restart, ${actions.freeze} freeze (SIGSTOP), ${actions.partition} partition`,
    `  jobs submitted             ${jobs.submitted}`,
    `  completed                  ${jobs.completed} (of which ${jobs.failOnceRecovered} after failing once as designed)`,
    `  failed as designed         ${jobs.failedAsDesigned}`,
    `  lost                       ${jobs.lost}${jobs.lost > 0 ? ` e.g. ${jobs.lostIds.join(",")}; ${jobs.unsettledAtEnd} still unsettled at the end` : ""}   (must be 0)`,
    `  completions accepted twice ${report.doubleCompletions}${report.doubleCompletions > 0 ? ` e.g. ${report.doubleCompletionIds.join(",")}` : ""}   (must be 0)`,
    `  failed, not by design      ${jobs.unexpectedFailures}${jobs.unexpectedFailures > 0 ? ` e.g. ${jobs.unexpectedFailureIds.join(",")}` : ""}   (must be 0)`,
    `  stale completions refused  ${report.staleReportsRefused.queueLog} (queue log report.refused; queue stats ${report.staleReportsRefused.queueStats ?? "-"}; workers saw ${report.staleReportsRefused.workerLogs})`,
    `  reassignments              ${report.reassignments.afterLostWorker} after a lost worker + ${report.reassignments.afterFailedAttempt} retries after a failed attempt = ${report.reassignments.total} job.requeued (queue stats ${report.reassignments.queueStats ?? "-"}); ${report.reassignments.dead} job.failed`,
    `  workers                    ${report.workers.lostOnSilence} lost on silence, ${report.workers.disconnected} disconnects, ${report.workers.reconnects} worker reconnects, ${report.workers.processesStarted} processes started, ${report.workers.crashed} crashed`,
    `  failure detection          p50 ${ms(d.p50Ms)}, p99 ${ms(d.p99Ms)}, max ${ms(d.maxMs)} over ${d.samples} actions (p50/p99 by kind: ${perKind}); ${d.notReassigned} actions needed no reassignment, ${d.idle} hit an idle worker`,
    `  clients                    ${report.clients.completed}/${config.clients} completed${report.clients.failed.length > 0 ? `; failed: ${report.clients.failed.map((f) => `${f.name} (${f.reason})`).join("; ")}` : ""}`,
    `  result                     ${report.ok ? "PASS" : `FAIL: ${report.problems.join("; ")}`}`,
  ];
  return lines.join("\n");
}

/** Every job id a client was told it submitted: settled or still waited for when it gave up. */
function acknowledgedIds(clients: readonly ClientOutcome[]): Set<number> {
  const ids = new Set<number>();
  for (const client of clients) {
    const summary = client.summary;
    if (summary === undefined) continue;
    for (const list of [...Object.values(summary.settled), summary.unsettled ?? []]) for (const id of list) ids.add(id);
  }
  return ids;
}

/** Every job id the queue says it created, from its `jobs.submitted` lines (ids of one submit are consecutive). */
function submittedIds(queueLogs: readonly LogEvent[]): Set<number> {
  const ids = new Set<number>();
  for (const event of queueLogs) {
    if (event.event !== "jobs.submitted") continue;
    const first = event.first as number;
    const count = event.count as number;
    if (count > 0 && (event.last as number) - first + 1 !== count) throw new Error(`jobs.submitted ids are not consecutive: ${JSON.stringify(event)}`);
    for (let id = first; id < first + count; id += 1) ids.add(id);
  }
  return ids;
}

function designedToFailAlways(payload: unknown): boolean {
  return typeof payload === "object" && payload !== null && (payload as { fail?: unknown }).fail === true;
}

function isFailed(final: FinalListing | undefined, id: number): boolean {
  return final?.failed.some((job) => job.jobId === id) ?? false;
}

function clientFailure(client: ClientOutcome): string | undefined {
  if (client.summary === undefined) return `no summary line (exit ${client.code ?? client.signal}): ${client.stderrTail.trim().split("\n").slice(-2).join(" | ")}`;
  if (client.summary.unsettled !== undefined) return `${client.summary.unsettled.length} jobs never settled, e.g. ${shown(client.summary.unsettled)}`;
  if (client.code !== 0) return `exit ${client.code ?? client.signal}`;
  return undefined;
}

function shown(ids: readonly number[]): string {
  return ids.slice(0, SHOWN_IDS).join(",") + (ids.length > SHOWN_IDS ? ",…" : "");
}
