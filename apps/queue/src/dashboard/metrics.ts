// The queue's numbers in Prometheus's text exposition format (version 0.0.4), for GET /metrics.
// Formatting only: the numbers come from one queue snapshot, so a scrape sees one instant.
import type { QueueFacade, Snapshot } from "./queue-facade.js";

export const metricsContentType = "text/plain; version=0.0.4; charset=utf-8";

type LatencyCounts = ReturnType<QueueFacade["assignmentLatency"]>;
type JournalBacklog = ReturnType<QueueFacade["journalBacklog"]>;

const states = ["delayed", "pending", "running", "completed", "failed", "cancelled"] as const;

export function metricsText(snapshot: Snapshot, latency: LatencyCounts, journal: JournalBacklog = undefined): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter" | "histogram", help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const sample = (name: string, value: number, labels: Record<string, string> = {}) => {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
    out.push(`${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${value}`);
  };

  family("djq_jobs", "gauge", "Jobs held by the queue now, by state (settled jobs only while retained).");
  for (const state of states) sample("djq_jobs", snapshot.counts[state], { state });

  const { totals } = snapshot;
  const counters: [string, number, string][] = [
    ["djq_jobs_submitted_total", totals.submitted, "Jobs accepted by submit since the queue started (with --journal, since the journal was created)."],
    ["djq_jobs_completed_total", totals.completed, "Jobs completed since the queue started (with --journal, since the journal was created)."],
    ["djq_jobs_failed_total", totals.failed, "Jobs failed for good (attempts used up or a permanent failure)."],
    ["djq_jobs_reassigned_total", totals.reassigned, "Running jobs put back because their worker was lost or their attempt timed out."],
    ["djq_jobs_cancelled_total", totals.cancelled, "Jobs cancelled by a client or the dashboard."],
    ["djq_jobs_retried_total", totals.retried, "Failed or cancelled jobs started over by retry."],
    ["djq_stale_reports_refused_total", totals.staleRefused, "Worker reports refused because they named a lease the job no longer has."],
  ];
  for (const [name, value, help] of counters) {
    family(name, "counter", help);
    sample(name, value);
  }

  family("djq_workers_connected", "gauge", "Workers connected now.");
  sample("djq_workers_connected", snapshot.workers.length);

  family("djq_memory_held_bytes", "gauge", "Job data held now: per-job record estimate plus encoded payloads and results, pending to retained.");
  sample("djq_memory_held_bytes", snapshot.memory.heldBytes);
  family("djq_memory_limit_bytes", "gauge", "The memory budget (--max-memory-bytes): past it submissions are queue-full and retained jobs are evicted.");
  sample("djq_memory_limit_bytes", snapshot.memory.limitBytes);

  family("djq_oldest_pending_age_seconds", "gauge", "How long the oldest ready job has waited; 0 when none waits.");
  sample("djq_oldest_pending_age_seconds", (snapshot.oldestPendingAgeMs ?? 0) / 1000);

  family("djq_queue_jobs", "gauge", "Jobs per named queue and state.");
  const queues = Object.entries(snapshot.queues);
  for (const [queue, stats] of queues) for (const state of states) sample("djq_queue_jobs", stats.counts[state], { queue, state });
  family("djq_queue_paused", "gauge", "1 while the named queue is paused.");
  for (const [queue, stats] of queues) sample("djq_queue_paused", stats.paused ? 1 : 0, { queue });

  if (journal !== undefined) {
    family("djq_journal_unwritten_bytes", "gauge", "Journal records appended and not yet on disk, plus the replies held for them.");
    sample("djq_journal_unwritten_bytes", journal.bytes);
    family("djq_journal_max_unwritten_bytes", "gauge", "The bound on them (--journal-max-unwritten-bytes): past it requests wait unread.");
    sample("djq_journal_max_unwritten_bytes", journal.limitBytes);
    family("djq_journal_intake_paused", "gauge", "1 while clients' and workers' requests wait unread for the journal's disk.");
    sample("djq_journal_intake_paused", journal.full ? 1 : 0);
  }

  const name = "djq_assignment_latency_seconds";
  family(name, "histogram", "Time from a job becoming ready (submitted, put back or due) to its assignment to a worker.");
  let cumulative = 0;
  latency.boundsMs.forEach((boundMs, index) => {
    cumulative += latency.counts[index] ?? 0;
    sample(`${name}_bucket`, cumulative, { le: String(boundMs / 1000) });
  });
  sample(`${name}_bucket`, latency.count, { le: "+Inf" });
  sample(`${name}_sum`, latency.sumMs / 1000);
  sample(`${name}_count`, latency.count);

  return `${out.join("\n")}\n`;
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
