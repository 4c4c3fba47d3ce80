// The IPC messages between the bench orchestrator (main.ts) and the programs it starts. They
// travel over Node's child-process channel, never over the queue's socket, so they cost the
// system under test nothing.
import type { JobSpec } from "@djq/protocol";

/** Orchestrator → producer. */
export type ProducerCommand =
  /**
   * Submit all jobs in one submit() call (the library batches them 10,000 per message), then wait
   * for every `settled`. `freshClient`: first (untimed) replace the client with a new connection,
   * so no state from earlier batches is carried into this one.
   */
  | { type: "bulk"; jobs: number; spec: JobSpec; resumeBefore?: string; pauseAfter?: string; freshClient?: boolean }
  /** Submit one job, await its `submitted`, then the next; then wait for every `settled`. */
  | { type: "serial"; jobs: number; spec: JobSpec }
  /** Submit one job per message at `rate` per second for `durationMs`, recording each submit time. */
  | { type: "paced"; rate: number; durationMs: number; spec: JobSpec }
  /** Submit without watching (a backlog), in one submit() call. */
  | { type: "fill"; jobs: number; spec: JobSpec }
  /**
   * The user's shape: one job per submit() without watch, each awaited before the next, timing
   * each acknowledgement. Nothing waits for the jobs to settle: the workers' starts say when they ran.
   */
  | { type: "one-by-one"; jobs: number; spec: JobSpec }
  /** The user's shape in batches: submit() of `batchSize` jobs without watch, each awaited before the next. */
  | { type: "batches"; jobs: number; batchSize: number; spec: JobSpec }
  | { type: "exit" };

/** Producer → orchestrator. Times are monotonicMs(). */
export type ProducerReport =
  | { type: "ready" }
  | { type: "bulk-done"; startedAt: number; submittedAt: number; settledAt: number; failed: number }
  | { type: "serial-done"; startedAt: number; settledAt: number; failed: number }
  | { type: "paced-done"; startedAt: number; settledAt: number; submits: [jobId: number, at: number][] }
  | { type: "fill-done"; startedAt: number; submittedAt: number }
  | { type: "one-by-one-done"; submits: [jobId: number, submittedAt: number, acknowledgedAt: number][] }
  | { type: "batches-done"; startedAt: number; submittedAt: number; jobIds: number[] }
  | { type: "error"; message: string };

/** Orchestrator → bench worker: every job start so far, or only how many there were. */
export type BenchWorkerCommand = { type: "report" } | { type: "count" };

/** Bench worker → orchestrator. */
export type BenchWorkerReport =
  | { type: "ready" }
  /** Sent at once for every job start when the worker was started with --announce. */
  | { type: "started"; jobId: number; at: number; workerId: string }
  | { type: "starts"; starts: [jobId: number, at: number][] }
  | { type: "count"; started: number }
  | { type: "error"; message: string };

/** Orchestrator → queue probe (a module preloaded into the queue process for workload D). */
export type ProbeCommand = { type: "memory" };

export type ProbeReport = { type: "memory"; heapUsed: number; rss: number; external: number; arrayBuffers: number; gc: boolean };

/** Idle clients → orchestrator. */
export type IdleClientsReport = { type: "ready"; opened: number } | { type: "error"; message: string };
