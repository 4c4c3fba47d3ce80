// The worker library's public surface: create a worker, give it handlers, start and stop it.
// The CLI in main.ts is one user of exactly this.
export { Worker, createWorker, type StopOptions } from "./worker.js";
export { defaultWorkerId, type JobHandlers, type JobTypeSchemas, type WorkerOptions } from "./worker-options.js";
export type { AbandonedReason, WorkerEventName, WorkerEvents } from "./worker-events.js";
export type { Job, JobContext, JobHandler } from "./job-handler.js";
export { PermanentJobError } from "./permanent-job-error.js";
export { SleepPayload, createSleepHandler, sleepHandler, type SleepHandlerOptions, type SleepResult } from "./sleep-handler.js";
