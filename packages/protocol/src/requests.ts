// Turns one frame into a typed request or a precise refusal. The queue validates every frame
// here, so nothing downstream ever sees an unchecked shape.
import { z } from "zod";
import { describeIssues } from "./issue-text.js";
import { ErrorCode } from "./error-codes.js";
import { Hello } from "./hello.js";
import { acceptHotRequest, isRequestId } from "./hot-requests.js";
import { clientRequestSchemas } from "./client-messages.js";
import { Heartbeat, workerRequestSchemas } from "./worker-messages.js";
import { nestsDeeperThan } from "./json-depth.js";
import { MAX_JSON_DEPTH } from "./limits.js";
import { RequestId } from "./request-id.js";

export const ClientRequest = z.discriminatedUnion("type", [Hello, Heartbeat, ...clientRequestSchemas]);
export type ClientRequest = z.infer<typeof ClientRequest>;

export const WorkerRequest = z.discriminatedUnion("type", [Hello, ...workerRequestSchemas]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

export const Request = z.discriminatedUnion("type", [Hello, ...clientRequestSchemas, ...workerRequestSchemas]);
export type Request = z.infer<typeof Request>;
export type RequestType = Request["type"];

const schemaByType = new Map<string, z.ZodType<Request>>(
  [Hello, ...clientRequestSchemas, ...workerRequestSchemas].map((schema) => [
    schema.shape.type.value,
    schema as z.ZodType<Request>,
  ]),
);

export const requestTypes: readonly string[] = [...schemaByType.keys()];
export const clientRequestTypes: ReadonlySet<string> = new Set(ClientRequest.options.map((s) => s.shape.type.value));
export const workerRequestTypes: ReadonlySet<string> = new Set(WorkerRequest.options.map((s) => s.shape.type.value));

export type ParsedRequest =
  | { ok: true; request: Request }
  | { ok: false; code: ErrorCode; message: string; id?: RequestId };

export function parseRequest(frame: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (error) {
    return { ok: false, code: ErrorCode.badJson, message: `not valid JSON: ${(error as Error).message}` };
  }
  return validateRequest(value);
}

export function validateRequest(value: unknown): ParsedRequest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.badMessage, message: "a message must be a JSON object" };
  }
  const record = value as Record<string, unknown>;
  // The hot requests, checked by hand (their free-form fields' depth included), need nothing more.
  const hot = acceptHotRequest(record);
  if (hot !== undefined) return { ok: true, request: hot };
  const id = requestIdOf(record);
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    return refusal(id, `a message may nest arrays and objects at most ${MAX_JSON_DEPTH} levels deep`);
  }
  const type = record.type;
  if (typeof type !== "string") {
    return refusal(id, "a message needs a string field `type`");
  }
  const schema = schemaByType.get(type);
  if (schema === undefined) {
    return refusal(id, `unknown message type "${type.slice(0, 40)}"; known types: ${requestTypes.join(", ")}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return refusal(id, `${type}: ${describeIssues(parsed.error)}`);
  }
  return { ok: true, request: parsed.data };
}

function requestIdOf(record: Record<string, unknown>): RequestId | undefined {
  if (isRequestId(record.id)) return record.id;
  const idCheck = RequestId.safeParse(record.id);
  return idCheck.success ? idCheck.data : undefined;
}

function refusal(id: RequestId | undefined, message: string): ParsedRequest {
  return id === undefined
    ? { ok: false, code: ErrorCode.badMessage, message }
    : { ok: false, code: ErrorCode.badMessage, message, id };
}
