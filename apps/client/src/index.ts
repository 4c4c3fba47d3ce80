// The client library's public surface: connect, submit, look up and wait for jobs. Worker
// programs import `defineJobTypes` from here too, so both sides share one map of job types.
export {
  DjqClient,
  connectClient,
  type ClientEvents,
  type ClientOptions,
  type EnqueueOptions,
  type JobProgressEvent,
  type ListFilter,
  type ListPage,
  type StatsSnapshot,
  type SubmitOptions,
  type WaitOptions,
} from "./client.js";
export type { ReconnectOptions } from "./reconnecting-session.js";
export { terminalStates, type SettledJob, type TerminalState } from "@djq/protocol";
export {
  PayloadValidationError,
  defineJobTypes,
  type JobTypeMap,
  type PayloadInput,
  type PayloadOutput,
} from "./job-types.js";
export { JobLostError, PartialSubmitError, QueueUnreachableError } from "./client-errors.js";
export { ConnectionClosedError, QueueError, type TlsClientOptions } from "@djq/runtime";
export {
  ErrorCode,
  type JobId,
  type JobSpec,
  type JobState,
  type JobView,
  type QueueName,
  type StatsReply,
} from "@djq/protocol";
