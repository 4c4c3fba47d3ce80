// @djq/core: the pure job-state machine. No sockets, timers or clock: time is an argument.
export * from "./queue-core.js";
export * from "./core-config.js";
export * from "./result.js";
export * from "./assignment-latency.js";
export * from "./effects.js";
export * from "./job-states.js";
export * from "./retry-policy.js";
export * from "./views.js";
export * from "./invariants.js";
// The client's watch registry uses the same table: pure, and the one dependency the client takes on the core.
export { IdTable } from "./id-table.js";
export { JOB_RECORD_BYTES, type MemoryLimits } from "./memory-budget.js";
export { ASSIGNMENT_OVERHEAD_BYTES } from "./encoded-size.js";
export type { JobRecord, AttemptRecord } from "./job-record.js";
export type { NamedQueue } from "./named-queue.js";
export type { WorkerRecord } from "./worker-record.js";
