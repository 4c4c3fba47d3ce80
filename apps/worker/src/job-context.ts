// Builds the `ctx` a handler receives. Progress and extend are best effort: they never reject
// into the handler, and a refusal that means the lease is gone is turned into an abort instead.
import { ErrorCode, type Assignment, type RequestBody } from "@djq/protocol";
import { QueueError, type LogFields, type Logger } from "@djq/runtime";
import type { JobContext } from "./job-handler.js";

/** Refusals of progress/extend after which this attempt's work is wasted. */
const leaseLostCodes: ReadonlySet<string> = new Set([ErrorCode.staleLease, ErrorCode.unknownJob, ErrorCode.jobExpired, ErrorCode.invalidState]);

export interface JobContextDeps {
  assignment: Assignment;
  signal: AbortSignal;
  workerId: string;
  logger: Logger;
  /** Sends a request on the current session; resolves undefined when there is none. */
  send: (body: RequestBody) => Promise<unknown>;
  onLeaseLost: (reason: string) => void;
}

export function createJobContext({ assignment, signal, workerId, logger, send, onLeaseLost }: JobContextDeps): JobContext {
  const { jobId, lease } = assignment;
  const touch = async (body: RequestBody): Promise<void> => {
    if (signal.aborted) return;
    try {
      await send(body);
    } catch (error) {
      if (error instanceof QueueError && leaseLostCodes.has(error.code)) onLeaseLost(error.message);
      // Anything else (a lost connection) is for the session to deal with; the job carries on.
    }
  };
  return {
    signal,
    workerId,
    logger: withFields(logger, { jobId, lease }),
    // {"id":9,"type":"progress","jobId":1,"lease":1,"percent":40,"message":"resizing"}
    progress: (percent, message) =>
      touch({
        type: "progress",
        jobId,
        lease,
        percent: Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0,
        ...(message !== undefined ? { message: String(message).slice(0, 200) } : {}),
      }),
    // {"id":8,"type":"extend","jobId":1,"lease":1}
    extend: () => touch({ type: "extend", jobId, lease }),
  };
}

export function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    debug: (event, more) => logger.debug(event, { ...fields, ...more }),
    info: (event, more) => logger.info(event, { ...fields, ...more }),
    warn: (event, more) => logger.warn(event, { ...fields, ...more }),
    error: (event, more) => logger.error(event, { ...fields, ...more }),
    enabled: (level) => logger.enabled(level),
  };
}
