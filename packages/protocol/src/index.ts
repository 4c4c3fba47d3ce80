// @djq/protocol: the wire contract shared by the queue, workers and clients.
export * from "./error-codes.js";
export * from "./limits.js";
export * from "./report-batch-limit.js";
export * from "./request-id.js";
export * from "./job.js";
export * from "./hello.js";
export * from "./client-messages.js";
export * from "./worker-messages.js";
export * from "./server-messages.js";
export * from "./requests.js";
export { isJobSpec } from "./hot-requests.js";
export * from "./issue-text.js";
export * from "./framing.js";
export * from "./replies.js";
export * from "./examples.js";
export * from "./warm-up.js";
export * from "./journal-records.js";
export * from "./journal-change-records.js";
