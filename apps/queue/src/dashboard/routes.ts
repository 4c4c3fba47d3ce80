// The dashboard's routes: a table from method and path to one short handler, each with its
// request above it. Handlers hold no job logic: they read and act through the queue façade, which
// calls the core with the clock and performs its effects.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, type JobState } from "@djq/protocol";
import type { Result } from "@djq/core";
import type { Logger } from "@djq/runtime";
import type { QueueFacade } from "./queue-facade.js";
import { secretMatches } from "../secret.js";
import type { EventStream } from "./event-stream.js";
import { metricsContentType, metricsText } from "./metrics.js";
import { pageContentSecurityPolicy } from "./page.js";

export interface RouteContext {
  queue: QueueFacade;
  stream: EventStream;
  log: Logger;
  clientSecret: string | undefined;
  page: string;
  request: IncomingMessage;
  response: ServerResponse;
}

export interface Route {
  method: "GET" | "POST";
  path: RegExp;
  handle(context: RouteContext, match: RegExpExecArray): void;
}

export const routes: readonly Route[] = [
  // GET /   the page
  {
    method: "GET",
    path: /^\/$/,
    handle: ({ response, page }) =>
      send(response, 200, "text/html; charset=utf-8", page, { "content-security-policy": pageContentSecurityPolicy }),
  },

  // GET /events   text/event-stream: one `stats` event now, then one a second
  {
    method: "GET",
    path: /^\/events$/,
    handle: ({ stream, request, response, log }) => {
      if (stream.open(request, response)) return;
      log.warn("dashboard.stream-refused", { remote: request.socket.remoteAddress, reason: "stream client limit", clients: stream.size });
      sendJson(response, 503, { error: "too-many-streams", message: `the dashboard serves at most ${stream.size} live pages; close one` }, { "retry-after": "5" });
    },
  },

  // GET /api/stats   the same picture a `stats` request gets
  { method: "GET", path: /^\/api\/stats$/, handle: ({ queue, response }) => sendJson(response, 200, queue.snapshot()) },

  // GET /api/jobs/7   the job as `status` shows it, with every attempt
  {
    method: "GET",
    path: /^\/api\/jobs\/([^/]+)$/,
    handle: ({ queue, response }, match) => {
      const jobId = parseJobId(response, match[1]);
      if (jobId !== undefined) sendResult(response, queue.lookUp(jobId), (job) => job);
    },
  },

  // POST /api/jobs/7/cancel   Authorization: Bearer <client secret>
  {
    method: "POST",
    path: /^\/api\/jobs\/([^/]+)\/cancel$/,
    handle: (context, match) => {
      const jobId = authorized(context) ? parseJobId(context.response, match[1]) : undefined;
      if (jobId === undefined) return;
      const result: Result<JobState> = context.queue.cancel(jobId, by(context));
      const refused = (refusal: Result<never>) => sendResult(context.response, refusal, () => ({}));
      context.queue.whenRecorded(() => sendResult(context.response, result, (was) => ({ ok: true, jobId, was })), refused);
    },
  },

  // POST /api/jobs/7/retry   Authorization: Bearer <client secret>
  {
    method: "POST",
    path: /^\/api\/jobs\/([^/]+)\/retry$/,
    handle: (context, match) => {
      const jobId = authorized(context) ? parseJobId(context.response, match[1]) : undefined;
      if (jobId === undefined) return;
      const result = context.queue.retry(jobId, by(context));
      const refused = (refusal: Result<never>) => sendResult(context.response, refusal, () => ({}));
      context.queue.whenRecorded(() => sendResult(context.response, result, () => ({ ok: true, jobId })), refused);
    },
  },

  // GET /metrics   Prometheus text format
  {
    method: "GET",
    path: /^\/metrics$/,
    handle: ({ queue, response }) => send(response, 200, metricsContentType, metricsText(queue.snapshot(), queue.assignmentLatency())),
  },
];

const commonHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...commonHeaders, "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(body), headers);
}

/** An error answer: a stable code for programs and a sentence for people. */
export function refuse(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: code, message }, headers);
}

const statusOfCode: Partial<Record<string, number>> = {
  [ErrorCode.unknownJob]: 404,
  [ErrorCode.jobExpired]: 410,
  [ErrorCode.invalidState]: 409,
  [ErrorCode.journalUnavailable]: 503,
};

function sendResult<T>(response: ServerResponse, result: Result<T>, body: (value: T) => unknown): void {
  if (result.ok) sendJson(response, 200, body(result.value));
  else refuse(response, statusOfCode[result.code] ?? 400, result.code, result.message);
}

function parseJobId(response: ServerResponse, text: string | undefined): number | undefined {
  const jobId = /^[1-9][0-9]{0,15}$/.test(text ?? "") ? Number(text) : NaN;
  if (Number.isSafeInteger(jobId)) return jobId;
  refuse(response, 400, "bad-job-id", `a job id is a whole number from 1 up, not ${JSON.stringify((text ?? "").slice(0, 40))}`);
  return undefined;
}

/** Mutations need a configured client secret, presented as a bearer token; compared in constant time. */
function authorized({ clientSecret, request, response, log }: RouteContext): boolean {
  const refused = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    log.warn("dashboard.refused", { method: request.method, path: request.url, status, remote: request.socket.remoteAddress });
    refuse(response, status, code, message, headers);
    return false;
  };
  if (clientSecret === undefined) {
    return refused(
      403,
      "read-only",
      "the dashboard is read-only: this queue has no client secret. Start it with --client-secret (or DJQ_CLIENT_SECRET) and send it as 'Authorization: Bearer <secret>' to cancel or retry jobs",
    );
  }
  const header = request.headers.authorization ?? "";
  const token = /^Bearer (.+)$/.exec(header)?.[1];
  if (!secretMatches(token, clientSecret)) {
    return refused(401, "auth-failed", "wrong or missing client secret: send 'Authorization: Bearer <client secret>'", {
      "www-authenticate": 'Bearer realm="djq"',
    });
  }
  return true;
}

function by({ request }: RouteContext): string {
  return `dashboard ${request.socket.remoteAddress ?? "?"}`;
}
