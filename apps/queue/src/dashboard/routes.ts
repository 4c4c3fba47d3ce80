// The dashboard's routes: a table from method and path to one short handler, each with its
// request above it. Handlers hold no job logic: they read and act through the queue façade, which
// calls the core with the clock and performs its effects.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, JobState, MAX_LIST_LIMIT } from "@djq/protocol";
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
  /** A GET route answers HEAD too: the same status and headers, no body. */
  method: "GET" | "POST";
  path: RegExp;
  /** Answers a live stream rather than one body: HEAD gets its headers without opening one. */
  streams?: boolean;
  handle(context: RouteContext, match: RegExpExecArray): void;
}

/** What a path takes, for `Allow`: each matching route's method, and HEAD wherever GET is. */
export function allowedMethods(matching: readonly Route[]): string {
  const methods = new Set<string>();
  for (const route of matching) {
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
  }
  return [...methods].join(", ");
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
    streams: true,
    handle: ({ stream, request, response, log }) => {
      if (stream.open(request, response)) return;
      log.warn("dashboard.stream-refused", { remote: request.socket.remoteAddress, reason: "stream client limit", clients: stream.size });
      sendJson(response, 503, { error: "too-many-streams", message: `the dashboard serves at most ${stream.size} live pages; close one` }, { "retry-after": "5" });
    },
  },

  // GET /api/stats   the same picture a `stats` request gets
  { method: "GET", path: /^\/api\/stats$/, handle: ({ queue, response }) => sendJson(response, 200, queue.snapshot()) },

  // GET /api/jobs?state=failed&after=12&limit=50   a page of jobs in a state, oldest first, as `list` gives it
  {
    method: "GET",
    path: /^\/api\/jobs$/,
    handle: ({ queue, request, response }) => {
      const query = parseListQuery(response, new URL(request.url ?? "/", "http://dashboard").searchParams);
      if (query !== undefined) sendResult(response, queue.list(query), (page) => page);
    },
  },

  // POST /api/jobs/cancel?ids=3,4,5   Authorization: Bearer <client secret>; answered job by job
  // POST /api/jobs/retry?ids=3,4,5
  {
    method: "POST",
    path: /^\/api\/jobs\/(cancel|retry)$/,
    handle: (context, match) => {
      if (!authorized(context)) return;
      const jobIds = parseJobIds(context.response, new URL(context.request.url ?? "/", "http://dashboard").searchParams.get("ids"));
      if (jobIds === undefined) return;
      const verb = match[1] as "cancel" | "retry";
      const results = jobIds.map((jobId) => {
        const result: Result<unknown> = verb === "cancel" ? context.queue.cancel(jobId, by(context)) : context.queue.retry(jobId, by(context));
        return result.ok ? { jobId, ok: true } : { jobId, ok: false, error: result.code, message: result.message };
      });
      const refused = (refusal: Result<never>) => sendResult(context.response, refusal, () => ({}));
      context.queue.whenRecorded(() => sendJson(context.response, 200, { results }), refused);
    },
  },

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
    handle: ({ queue, response }) => send(response, 200, metricsContentType, metricsText(queue.snapshot(), queue.assignmentLatency(), queue.journalBacklog())),
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
  [ErrorCode.badCursor]: 400,
  [ErrorCode.unknownJob]: 404,
  [ErrorCode.jobExpired]: 410,
  [ErrorCode.invalidState]: 409,
  [ErrorCode.journalUnavailable]: 503,
};

function sendResult<T>(response: ServerResponse, result: Result<T>, body: (value: T) => unknown): void {
  if (result.ok) sendJson(response, 200, body(result.value));
  else refuse(response, statusOfCode[result.code] ?? 400, result.code, result.message);
}

function parseListQuery(response: ServerResponse, params: URLSearchParams): { state: JobState; after?: number; limit?: number } | undefined {
  const state = JobState.safeParse(params.get("state"));
  if (!state.success) {
    refuse(response, 400, ErrorCode.badMessage, `state must be one of ${JobState.options.join(", ")}`);
    return undefined;
  }
  const query: { state: JobState; after?: number; limit?: number } = { state: state.data };
  for (const [name, min, max] of [["after", 1, Number.MAX_SAFE_INTEGER], ["limit", 1, MAX_LIST_LIMIT]] as const) {
    const text = params.get(name);
    if (text === null) continue;
    const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) {
      refuse(response, 400, ErrorCode.badMessage, `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text.slice(0, 40))}`);
      return undefined;
    }
    query[name] = value;
  }
  return query;
}

/** `3,4,5`: at most a listing page's worth, each a job id. */
function parseJobIds(response: ServerResponse, text: string | null): number[] | undefined {
  const parts = (text ?? "").split(",").filter((part) => part !== "");
  if (parts.length === 0 || parts.length > MAX_LIST_LIMIT) {
    refuse(response, 400, "bad-job-id", `ids names 1 to ${MAX_LIST_LIMIT} job ids, comma-separated`);
    return undefined;
  }
  const jobIds: number[] = [];
  for (const part of parts) {
    const jobId = parseJobId(response, part);
    if (jobId === undefined) return undefined;
    jobIds.push(jobId);
  }
  return jobIds;
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
