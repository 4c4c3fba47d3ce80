// Errors the client library adds to the queue's own QueueError: outcomes that only a client can
// observe (a watched job vanished with a restarted queue, a batch that was only partly accepted).
import type { JobId } from "@djq/protocol";
import { ConnectionClosedError } from "@djq/runtime";

/** A watched job whose outcome can no longer be learned: the queue that held it restarted. */
export class JobLostError extends Error {
  constructor(
    readonly jobId: JobId,
    reason: string,
  ) {
    super(`job ${jobId} was lost: ${reason}`);
    this.name = "JobLostError";
  }
}

/**
 * A submit split into several messages failed part-way: `jobIds` were created (and are not
 * rolled back), the rest were not. `cause` is the error that stopped the submission.
 */
export class PartialSubmitError extends Error {
  constructor(
    readonly jobIds: JobId[],
    readonly notSubmitted: number,
    cause: Error,
  ) {
    super(`${jobIds.length} jobs were submitted, then ${notSubmitted} were not: ${cause.message}`, { cause });
    this.name = "PartialSubmitError";
  }
}

/**
 * Reconnecting gave up: the queue stayed unreachable for `giveUpAfterMs`. A ConnectionClosedError
 * (so one catch covers both), but distinct from a single drop, which the client cures itself.
 */
export class QueueUnreachableError extends ConnectionClosedError {
  constructor(message: string) {
    super(message);
    this.name = "QueueUnreachableError";
  }
}
