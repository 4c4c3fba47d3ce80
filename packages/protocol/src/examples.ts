// One example of every message, each optional field filled in: what the tests check the schemas
// against, and what a long-running program parses once at startup (warm-up.ts).
import { ErrorCode } from "./error-codes.js";
import type { JobView } from "./job.js";
import { DEFAULT_FRAME_BYTES, PROTOCOL_VERSION } from "./limits.js";
import type { Request, RequestType } from "./requests.js";
import type { ServerMessage, StateCounts } from "./server-messages.js";

export const runningJobExample: JobView = {
  jobId: 1,
  queue: "default",
  type: "sleep",
  state: "running",
  priority: 5,
  durationMs: 500,
  payload: { image: "cat.png" },
  submittedAt: 1_700_000_000_000,
  attempts: 1,
  maxAttempts: 3,
  timeoutMs: 30_000,
  workerId: "worker-a",
  lease: 7,
  progress: { percent: 40, message: "resizing" },
  history: [{ attempt: 1, lease: 7, workerId: "worker-a", startedAt: 1_700_000_000_100, outcome: "running" }],
};

export const failedJobExample: JobView = {
  jobId: 2,
  queue: "emails",
  type: "send-mail",
  state: "failed",
  priority: 9,
  durationMs: 0,
  submittedAt: 1_700_000_000_000,
  runAt: 1_700_000_001_000,
  attempts: 2,
  maxAttempts: 2,
  timeoutMs: 30_000,
  error: "smtp refused",
  settledAt: 1_700_000_009_000,
  history: [
    { attempt: 1, lease: 3, workerId: "worker-a", startedAt: 1_700_000_001_000, endedAt: 1_700_000_002_000, outcome: "worker-lost" },
    { attempt: 2, lease: 5, workerId: "worker-b", startedAt: 1_700_000_008_000, endedAt: 1_700_000_009_000, outcome: "failed", error: "smtp refused" },
  ],
};

export const stateCountsExample: StateCounts = { delayed: 1, pending: 2, running: 1, completed: 10, failed: 1, cancelled: 0 };

// One example of every kind the queue sends, optional fields filled in where there are any.
export const serverMessageExamples: { [T in ServerMessage["type"]]: Extract<ServerMessage, { type: T }> } = {
  welcome: {
    id: 1,
    type: "welcome",
    version: PROTOCOL_VERSION,
    queueRunId: "b7e1c9",
    heartbeatIntervalMs: 5_000,
    heartbeatTimeoutMs: 15_000,
    maxFrameBytes: DEFAULT_FRAME_BYTES,
    livenessToken: "9f2c4e1a7b3d5f60",
  },
  submitted: { id: "s-1", type: "submitted", jobIds: [1, 2, 3] },
  job: { id: 3, type: "job", job: runningJobExample },
  jobs: { id: 4, type: "jobs", jobs: [failedJobExample], next: 2 },
  stats: {
    id: 5,
    type: "stats",
    at: 1_700_000_010_000,
    queueRunId: "b7e1c9",
    memory: { heldBytes: 6_400, limitBytes: 6_442_450_944 },
    counts: stateCountsExample,
    totals: { submitted: 15, completed: 10, failed: 1, cancelled: 0, reassigned: 1, retried: 2, staleRefused: 1 },
    queues: { default: { counts: stateCountsExample, paused: false }, emails: { counts: stateCountsExample, paused: true } },
    workers: [
      {
        workerId: "worker-a",
        queues: ["default", "emails"],
        connectedAt: 1_700_000_000_000,
        lastSeenAt: 1_700_000_009_500,
        waiting: false,
        running: [{ jobId: 1, lease: 7, attempt: 1, startedAt: 1_700_000_000_100, progress: { percent: 40 } }],
      },
    ],
    completedPerSecond: Array.from({ length: 60 }, (_, i) => i % 3),
    oldestPendingAgeMs: 1_200,
    recent: [{ at: 1_700_000_002_000, kind: "worker-lost", jobId: 2, workerId: "worker-a", outcome: "worker-lost", reason: "no heartbeat for 15000 ms" }],
  },
  ok: { id: 6, type: "ok" },
  ack: { id: 7, type: "ack", refused: [{ jobId: 9, code: ErrorCode.staleLease, message: "lease 3 is not the current lease of job 9" }] },
  assign: {
    id: 8,
    type: "assign",
    jobs: [{ jobId: 1, lease: 7, attempt: 1, queue: "default", type: "sleep", durationMs: 500, payload: [1, 2], timeoutMs: 30_000, maxAttempts: 3 }],
  },
  heartbeat: { id: 9, type: "heartbeat" },
  abandon: { type: "abandon", jobId: 1, lease: 7, reason: "cancelled" },
  settled: { type: "settled", jobs: [{ jobId: 1, state: "completed", result: { ok: true } }] },
  progress: { type: "progress", jobId: 1, percent: 40, message: "resizing" },
  shutdown: { type: "shutdown", graceMs: 10_000 },
  error: { id: 10, type: "error", code: ErrorCode.unknownJob, message: "no job 99" },
};

// One example of each request with every optional field filled in.
export const requestExamples: { [T in RequestType]: Extract<Request, { type: T }> } = {
  hello: {
    id: 1,
    type: "hello",
    role: "worker",
    version: PROTOCOL_VERSION,
    secret: "s3cret",
    workerId: "worker-a",
    queues: ["default", "emails"],
    holding: [{ jobId: 7, lease: 12 }],
  },
  submit: {
    id: "submit-1",
    type: "submit",
    jobs: [
      {
        queue: "emails",
        type: "send-mail",
        durationMs: 500,
        payload: { to: "ü@example.com", tags: ["a", 1, null, true] },
        priority: 9,
        delayMs: 1_000,
        runAt: 1_700_000_000_000,
        timeoutMs: 30_000,
        maxAttempts: 3,
      },
    ],
    key: "order-42",
    watch: true,
  },
  status: { id: 3, type: "status", jobId: 1 },
  watch: { id: 4, type: "watch", jobIds: [1, 2] },
  cancel: { id: 5, type: "cancel", jobId: 1 },
  retry: { id: 6, type: "retry", jobId: 1 },
  list: { id: 7, type: "list", state: "failed", queue: "default", limit: 50, after: 10 },
  stats: { id: 8, type: "stats" },
  pause: { id: 9, type: "pause", queue: "default" },
  resume: { id: 10, type: "resume", queue: "default" },
  heartbeat: { id: 11, type: "heartbeat" },
  fetch: { id: 12, type: "fetch", max: 4 },
  withdraw: { id: 13, type: "withdraw" },
  complete: { id: 14, type: "complete", jobs: [{ jobId: 1, lease: 1, result: { rows: [1, 2] } }] },
  fail: { id: 15, type: "fail", jobs: [{ jobId: 1, lease: 1, error: "boom", permanent: true }] },
  extend: { id: 16, type: "extend", jobId: 1, lease: 1 },
  progress: { id: 17, type: "progress", jobId: 1, lease: 1, percent: 40.5, message: "resizing" },
  release: { id: 18, type: "release", jobs: [{ jobId: 1, lease: 1 }] },
};
