// Every refusal the queue can send, as stable machine-readable codes. Clients branch on these;
// the sentence beside each code in a reply is for people and may change wording.

export const ErrorCode = {
  /** The line is not valid JSON. */
  badJson: "bad-json",
  /** The bytes are not valid UTF-8. */
  badUtf8: "bad-utf8",
  /** JSON, but not a message: not an object, unknown `type`, or wrong fields. */
  badMessage: "bad-message",
  /** A line grew past the maximum frame size. The connection is closed. */
  frameTooLarge: "frame-too-large",
  /** Anything but `hello` as the first message. */
  helloRequired: "hello-required",
  /** A second `hello` on a connection that already has one. */
  alreadyHello: "already-hello",
  /** No `hello` within the hello timeout. The connection is closed. */
  helloTimeout: "hello-timeout",
  /** The peer speaks a protocol version this queue does not. */
  versionMismatch: "version-mismatch",
  /** Missing or wrong shared secret. The connection is closed. */
  authFailed: "auth-failed",
  /** The message is not allowed for this connection's role (a client may not fetch). */
  roleForbidden: "role-forbidden",
  /** The connection sent too many bad messages. The connection is closed. */
  tooManyErrors: "too-many-errors",
  /** The queue is at its connection limit. The connection is closed. */
  tooManyConnections: "too-many-connections",
  /** A request reused the id of a request still in flight on this connection. */
  duplicateRequestId: "duplicate-request-id",
  /** No job with this id was ever created by this queue process. */
  unknownJob: "unknown-job",
  /** The job existed but has been dropped from retention. */
  jobExpired: "job-expired",
  /** The lease named is not the job's current lease, or not held by this worker. */
  staleLease: "stale-lease",
  /** The job's state does not allow this (cancel a completed job, retry a running one). */
  invalidState: "invalid-state",
  /** The queue holds its maximum number of unfinished jobs. */
  queueFull: "queue-full",
  /** A job's payload is larger than the configured maximum. */
  payloadTooLarge: "payload-too-large",
  /** A job's result is larger than the configured maximum; the job stays running under its lease. */
  resultTooLarge: "result-too-large",
  /** A line was started and not finished within the line timeout. The connection is closed. */
  lineTimeout: "line-timeout",
  /** The peer's unsent replies would pass the output bound: it is dropped without them (logged only). */
  outputOverflow: "output-overflow",
  /** The queue is shutting down and takes no new work. */
  shuttingDown: "shutting-down",
  /** A second worker session took over this worker id. The connection is closed. */
  replaced: "replaced",
  /** The queue could not record the change in its journal (a write error or a full disk), so it
   * did not make it: nothing was acknowledged. The queue takes no new work until restarted. */
  journalUnavailable: "journal-unavailable",
  /** A liveness hello names no live worker session, or the wrong token for it. The connection is closed. */
  unknownSession: "unknown-session",
  /** A `list` cursor (`after`) names a place its state's listing never reached. */
  badCursor: "bad-cursor",
  /** An idempotency key reused, within its window, with a different request body. */
  keyConflict: "key-conflict",
  /** `pause` or `resume` of a queue that does not exist, without `create`. */
  unknownQueue: "unknown-queue",
  /** A complete, fail or release names more reports than one ack frame can refuse (see maxReportsPerMessage); nothing was changed. */
  batchTooLarge: "batch-too-large",
  /** The queue failed unexpectedly while handling this request; nothing was changed. */
  internal: "internal",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCodes: readonly ErrorCode[] = Object.values(ErrorCode);

/** Codes after which the queue closes the connection. */
export const fatalErrorCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.frameTooLarge,
  ErrorCode.helloTimeout,
  ErrorCode.lineTimeout,
  ErrorCode.outputOverflow,
  ErrorCode.versionMismatch,
  ErrorCode.authFailed,
  ErrorCode.tooManyErrors,
  ErrorCode.tooManyConnections,
  ErrorCode.replaced,
  ErrorCode.unknownSession,
  ErrorCode.badUtf8,
]);
