// Every request crosses the wire and comes back equal; every wrong shape is refused with
// bad-message and a sentence naming the field, and nothing a peer sends makes parseRequest throw.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ErrorCode } from "./error-codes.js";
import { requestExamples } from "./examples.js";
import { FrameDecoder, encodeFrame } from "./framing.js";
import {
  MAX_ATTEMPTS,
  MAX_DELAY_MS,
  MAX_DURATION_MS,
  MAX_FETCH,
  MAX_JOBS_PER_MESSAGE,
  MAX_JSON_DEPTH,
  MAX_LIST_LIMIT,
  MAX_QUEUES_PER_WORKER,
  MAX_TIMEOUT_MS,
} from "./limits.js";
import {
  ClientRequest,
  Request,
  WorkerRequest,
  clientRequestTypes,
  parseRequest,
  requestTypes,
  validateRequest,
  workerRequestTypes,
  type ParsedRequest,
  type RequestType,
} from "./requests.js";

/** `DJQ_SEED=… pnpm test` replays a failing property run; fast-check prints the seed on failure. */
const propertyOptions = process.env.DJQ_SEED === undefined ? {} : { seed: Number(process.env.DJQ_SEED) };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Sends `message` the way a peer would: encoded, framed, decoded, parsed. */
function throughTheWire(message: unknown): ParsedRequest {
  const frames: string[] = [];
  const error = new FrameDecoder().push(Buffer.from(encodeFrame(message as object), "utf8"), (f) => frames.push(f));
  expect(error).toBeUndefined();
  expect(frames).toHaveLength(1);
  return parseRequest(frames[0] ?? "");
}

/** What a message looks like after JSON has carried it (e.g. -0 arrives as 0). */
function asJson(message: unknown): unknown {
  return JSON.parse(JSON.stringify(message)) as unknown;
}

function expectRefusal(result: ParsedRequest, code: ErrorCode): { message: string; id?: unknown } {
  if (result.ok) throw new Error(`expected a ${code} refusal, got ${JSON.stringify(result.request)}`);
  expect(result.code).toBe(code);
  expect(result.message.length).toBeGreaterThan(0);
  return result;
}

/** A refusal sentence names a field as `path: …`, right after the type or another issue. */
function namesField(message: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?:^|[:;] )${escaped}: `).test(message);
}

const schemaOf = new Map(
  Request.options.map((schema) => [schema.shape.type.value as string, schema as unknown as z.ZodObject]),
);

const examples = requestExamples;
const exampleList: Request[] = Object.values(examples);

/** Top-level fields of `type` that the schema will not do without. */
function requiredFields(type: string): string[] {
  const shape = schemaOf.get(type)?.shape ?? {};
  return Object.keys(shape).filter((key) => !(shape[key] as z.ZodType).safeParse(undefined).success);
}

/** The example with only its required fields. */
function minimal(message: Request): Record<string, unknown> {
  const required = new Set(requiredFields(message.type));
  return Object.fromEntries(Object.entries(message).filter(([key]) => required.has(key)));
}

/** A value of the wrong JSON type for a field that holds `value`. */
function wrongTypeFor(key: string, value: unknown): Json {
  if (Array.isArray(value)) return { "0": 1 };
  if (typeof value === "object" && value !== null) return [];
  if (typeof value === "boolean") return "true";
  if (key === "id") return true; // a string id and a number id are both right
  if (typeof value === "number") return String(value);
  return 7;
}

describe("parseRequest: round trips", () => {
  it("has an example for every request type", () => {
    expect(Object.keys(examples).sort()).toEqual([...requestTypes].sort());
  });

  it.each(exampleList.map((m) => [m.type, m] as const))("round-trips a %s with every field set", (_type, message) => {
    expect(throughTheWire(message)).toStrictEqual({ ok: true, request: message });
  });

  it.each(exampleList.map((m) => [m.type, minimal(m)] as const))(
    "round-trips a %s with only its required fields",
    (_type, message) => {
      expect(throughTheWire(message)).toStrictEqual({ ok: true, request: message });
    },
  );

  it("round-trips a liveness hello with the worker's id and its session's token", () => {
    const hello = { id: 1, type: "hello", role: "liveness", version: 1, workerId: "w1", livenessToken: "9f2c4e1a7b3d5f609f2c4e1a7b3d5f60" };
    expect(throughTheWire(hello)).toStrictEqual({ ok: true, request: hello });
  });

  it("round-trips a client hello without worker fields", () => {
    const hello = { id: "h", type: "hello", role: "client", version: 1 };
    expect(throughTheWire(hello)).toStrictEqual({ ok: true, request: hello });
  });

  it("accepts a request id of 0, of Number.MAX_SAFE_INTEGER and a string of 64 characters", () => {
    for (const id of [0, Number.MAX_SAFE_INTEGER, "x".repeat(64)]) {
      expect(throughTheWire({ id, type: "stats" })).toStrictEqual({ ok: true, request: { id, type: "stats" } });
    }
  });

  it("accepts every value at the edge of its range", () => {
    const edges = [
      { durationMs: 0, priority: 1, delayMs: 0, runAt: 0, timeoutMs: 1, maxAttempts: 1 },
      { durationMs: MAX_DURATION_MS, priority: 9, delayMs: MAX_DELAY_MS, runAt: 8.64e15, timeoutMs: MAX_TIMEOUT_MS, maxAttempts: MAX_ATTEMPTS },
      { queue: "q".repeat(64), type: "t".repeat(64) },
      { queue: "A-z_0.9:x", type: "a.b:c-d_e" },
    ];
    for (const job of edges) expect(throughTheWire({ id: 1, type: "submit", jobs: [job] }).ok).toBe(true);
    const accepted: unknown[] = [
      { id: 1, type: "submit", jobs: Array.from({ length: MAX_JOBS_PER_MESSAGE }, () => ({})) },
      { id: 1, type: "submit", jobs: [{}], key: "k".repeat(128) },
      { id: 1, type: "fetch", max: 1 },
      { id: 1, type: "fetch", max: MAX_FETCH },
      { id: 1, type: "list", state: "pending", limit: MAX_LIST_LIMIT },
      { id: 1, type: "progress", jobId: 1, lease: 1, percent: 0 },
      { id: 1, type: "progress", jobId: 1, lease: 1, percent: 100, message: "m".repeat(200) },
      { id: 1, type: "fail", jobs: [{ jobId: 1, lease: 1, error: "e".repeat(4096) }] },
      { id: 1, type: "status", jobId: Number.MAX_SAFE_INTEGER },
      { id: 1, type: "hello", role: "worker", version: 0, workerId: "w".repeat(128), secret: "s".repeat(1024) },
      { id: 1, type: "hello", role: "worker", version: 1, queues: Array.from({ length: MAX_QUEUES_PER_WORKER }, (_, i) => `q${i}`) },
    ];
    for (const message of accepted) expect(parseRequest(JSON.stringify(message)), JSON.stringify(message).slice(0, 80)).toMatchObject({ ok: true });
  });

  it("accepts any JSON as a job's payload or a completed job's result", () => {
    for (const value of [null, 0, -1.5, "", "x", [], {}, [[1, { a: [] }]], { nested: { deeper: { deepest: true } } }]) {
      expect(throughTheWire({ id: 1, type: "submit", jobs: [{ payload: value }] })).toMatchObject({ ok: true });
      expect(throughTheWire({ id: 1, type: "complete", jobs: [{ jobId: 1, lease: 1, result: value }] })).toMatchObject({ ok: true });
    }
  });

  it("round-trips random valid requests of every type", () => {
    fc.assert(
      fc.property(anyRequest, (message) => {
        expect(throughTheWire(message)).toStrictEqual({ ok: true, request: asJson(message) });
      }),
      { ...propertyOptions, numRuns: 500 },
    );
  });
});

describe("parseRequest: wrong shapes", () => {
  const missing = exampleList.flatMap((message) =>
    requiredFields(message.type)
      .filter((key) => key !== "type")
      .map((key) => [message.type, key, message] as const),
  );

  it.each(missing)("refuses a %s without its %s, naming the field", (_type, key, message) => {
    const { [key]: _dropped, ...rest } = message as Record<string, unknown>;
    const refusal = expectRefusal(parseRequest(JSON.stringify(rest)), ErrorCode.badMessage);
    expect(namesField(refusal.message, key), refusal.message).toBe(true);
  });

  const wrongTypes = exampleList.flatMap((message) =>
    Object.entries(message)
      .filter(([key]) => key !== "type")
      .map(([key, value]) => [message.type, key, message, wrongTypeFor(key, value)] as const),
  );

  it.each(wrongTypes)("refuses a %s whose %s has the wrong type, naming the field", (_type, key, message, wrong) => {
    const refusal = expectRefusal(parseRequest(JSON.stringify({ ...message, [key]: wrong })), ErrorCode.badMessage);
    expect(namesField(refusal.message, key), refusal.message).toBe(true);
  });

  it.each(exampleList.map((m) => [m.type, m] as const))("refuses a %s with an unknown extra field, naming it", (_type, message) => {
    const refusal = expectRefusal(parseRequest(JSON.stringify({ ...message, junk: 1 })), ErrorCode.badMessage);
    expect(refusal.message).toContain('"junk"');
    expect(refusal.id).toBe(message.id);
  });

  const job = (fields: Record<string, unknown>) => ({ id: 1, type: "submit", jobs: [fields] });
  const hello = (fields: Record<string, unknown>) => ({ id: 1, type: "hello", role: "worker", version: 1, ...fields });
  const wrongShapes: Array<[string, unknown, string]> = [
    ["a submit whose durationMs is negative", job({ durationMs: -1 }), "jobs.0.durationMs"],
    ["a submit whose durationMs is longer than seven days", job({ durationMs: MAX_DURATION_MS + 1 }), "jobs.0.durationMs"],
    ["a submit whose durationMs is enormous", job({ durationMs: 1e20 }), "jobs.0.durationMs"],
    ["a submit whose durationMs overflows to Infinity", null, "jobs.0.durationMs"],
    ["a submit whose durationMs is a fraction", job({ durationMs: 1.5 }), "jobs.0.durationMs"],
    ["a submit whose durationMs is a string", job({ durationMs: "500" }), "jobs.0.durationMs"],
    ["a submit whose maxAttempts is 0", job({ maxAttempts: 0 }), "jobs.0.maxAttempts"],
    ["a submit whose maxAttempts is 101", job({ maxAttempts: MAX_ATTEMPTS + 1 }), "jobs.0.maxAttempts"],
    ["a submit whose priority is 0", job({ priority: 0 }), "jobs.0.priority"],
    ["a submit whose priority is 10", job({ priority: 10 }), "jobs.0.priority"],
    ["a submit whose priority is a fraction", job({ priority: 5.5 }), "jobs.0.priority"],
    ["a submit whose delayMs is negative", job({ delayMs: -1 }), "jobs.0.delayMs"],
    ["a submit whose delayMs is over a year", job({ delayMs: MAX_DELAY_MS + 1 }), "jobs.0.delayMs"],
    ["a submit whose runAt is negative", job({ runAt: -1 }), "jobs.0.runAt"],
    ["a submit whose runAt is past the last valid date", job({ runAt: 8.64e15 + 1 }), "jobs.0.runAt"],
    ["a submit whose timeoutMs is 0", job({ timeoutMs: 0 }), "jobs.0.timeoutMs"],
    ["a submit whose timeoutMs is over seven days", job({ timeoutMs: MAX_TIMEOUT_MS + 1 }), "jobs.0.timeoutMs"],
    ["a submit whose queue name is empty", job({ queue: "" }), "jobs.0.queue"],
    ["a submit whose queue name has a space", job({ queue: "my queue" }), "jobs.0.queue"],
    ["a submit whose queue name has a slash", job({ queue: "a/b" }), "jobs.0.queue"],
    ["a submit whose queue name is not ASCII", job({ queue: "wärme" }), "jobs.0.queue"],
    ["a submit whose queue name is 65 characters", job({ queue: "q".repeat(65) }), "jobs.0.queue"],
    ["a submit whose job type has a space", job({ type: "send mail" }), "jobs.0.type"],
    ["a submit whose job has an unknown field", job({ duration: 5 }), "jobs.0"],
    ["a submit whose job is not an object", { id: 1, type: "submit", jobs: [5] }, "jobs.0"],
    ["a submit whose jobs array is empty", { id: 1, type: "submit", jobs: [] }, "jobs"],
    [
      "a submit of more than 10000 jobs",
      { id: 1, type: "submit", jobs: Array.from({ length: MAX_JOBS_PER_MESSAGE + 1 }, () => ({})) },
      "jobs",
    ],
    ["a submit whose key is empty", { id: 1, type: "submit", jobs: [{}], key: "" }, "key"],
    ["a submit whose key is 129 characters", { id: 1, type: "submit", jobs: [{}], key: "k".repeat(129) }, "key"],
    ["a status whose jobId is 0", { id: 1, type: "status", jobId: 0 }, "jobId"],
    ["a status whose jobId is negative", { id: 1, type: "status", jobId: -1 }, "jobId"],
    ["a status whose jobId is a fraction", { id: 1, type: "status", jobId: 1.5 }, "jobId"],
    ["a status whose jobId is past Number.MAX_SAFE_INTEGER", { id: 1, type: "status", jobId: 2 ** 53 }, "jobId"],
    ["a watch of no jobs", { id: 1, type: "watch", jobIds: [] }, "jobIds"],
    [
      "a watch of more than 10000 jobs",
      { id: 1, type: "watch", jobIds: Array.from({ length: MAX_JOBS_PER_MESSAGE + 1 }, (_, i) => i + 1) },
      "jobIds",
    ],
    ["a watch whose job id is 0", { id: 1, type: "watch", jobIds: [1, 0] }, "jobIds.1"],
    ["a list of a state that does not exist", { id: 1, type: "list", state: "archived" }, "state"],
    ["a list whose limit is 0", { id: 1, type: "list", state: "failed", limit: 0 }, "limit"],
    ["a list whose limit is 501", { id: 1, type: "list", state: "failed", limit: MAX_LIST_LIMIT + 1 }, "limit"],
    ["a list whose after is 0", { id: 1, type: "list", state: "failed", after: 0 }, "after"],
    ["a pause of a badly named queue", { id: 1, type: "pause", queue: "no spaces" }, "queue"],
    ["a stats with a field it does not take", { id: 1, type: "stats", queue: "default" }, ""],
    ["a hello whose role is not client, worker or liveness", hello({ role: "admin" }), "role"],
    ["a hello whose livenessToken is empty", hello({ role: "liveness", livenessToken: "" }), "livenessToken"],
    ["a hello whose livenessToken is over 64 characters", hello({ role: "liveness", livenessToken: "f".repeat(65) }), "livenessToken"],
    ["a hello whose version is negative", hello({ version: -1 }), "version"],
    ["a hello whose version is a fraction", hello({ version: 1.5 }), "version"],
    ["a hello whose workerId is empty", hello({ workerId: "" }), "workerId"],
    ["a hello whose workerId is 129 characters", hello({ workerId: "w".repeat(129) }), "workerId"],
    ["a hello whose secret is over 1024 characters", hello({ secret: "s".repeat(1025) }), "secret"],
    ["a hello serving no queues", hello({ queues: [] }), "queues"],
    [
      "a hello serving more than 32 queues",
      hello({ queues: Array.from({ length: MAX_QUEUES_PER_WORKER + 1 }, (_, i) => `q${i}`) }),
      "queues",
    ],
    ["a hello serving a badly named queue", hello({ queues: ["ok", "not ok"] }), "queues.1"],
    ["a hello holding a lease of 0", hello({ holding: [{ jobId: 1, lease: 0 }] }), "holding.0.lease"],
    ["a hello holding an entry with an extra field", hello({ holding: [{ jobId: 1, lease: 1, attempt: 1 }] }), "holding.0"],
    ["a fetch of 0 jobs", { id: 1, type: "fetch", max: 0 }, "max"],
    ["a fetch of more than 1000 jobs", { id: 1, type: "fetch", max: MAX_FETCH + 1 }, "max"],
    ["a fetch whose max is a fraction", { id: 1, type: "fetch", max: 1.5 }, "max"],
    ["a complete of no jobs", { id: 1, type: "complete", jobs: [] }, "jobs"],
    ["a complete whose lease is 0", { id: 1, type: "complete", jobs: [{ jobId: 1, lease: 0 }] }, "jobs.0.lease"],
    ["a complete without a lease", { id: 1, type: "complete", jobs: [{ jobId: 1 }] }, "jobs.0.lease"],
    ["a complete with an extra field", { id: 1, type: "complete", jobs: [{ jobId: 1, lease: 1, error: "x" }] }, "jobs.0"],
    ["a fail without an error", { id: 1, type: "fail", jobs: [{ jobId: 1, lease: 1 }] }, "jobs.0.error"],
    ["a fail whose error is over 4096 characters", { id: 1, type: "fail", jobs: [{ jobId: 1, lease: 1, error: "e".repeat(4097) }] }, "jobs.0.error"],
    ["a fail whose permanent is a string", { id: 1, type: "fail", jobs: [{ jobId: 1, lease: 1, error: "x", permanent: "yes" }] }, "jobs.0.permanent"],
    ["an extend without a lease", { id: 1, type: "extend", jobId: 1 }, "lease"],
    ["a progress above 100 percent", { id: 1, type: "progress", jobId: 1, lease: 1, percent: 101 }, "percent"],
    ["a progress below 0 percent", { id: 1, type: "progress", jobId: 1, lease: 1, percent: -1 }, "percent"],
    ["a progress whose message is over 200 characters", { id: 1, type: "progress", jobId: 1, lease: 1, percent: 1, message: "m".repeat(201) }, "message"],
    ["a release of more than 10000 jobs", { id: 1, type: "release", jobs: Array.from({ length: MAX_JOBS_PER_MESSAGE + 1 }, (_, i) => ({ jobId: i + 1, lease: 1 })) }, "jobs"],
    ["a heartbeat with a field it does not take", { id: 1, type: "heartbeat", at: 5 }, ""],
  ];

  it.each(wrongShapes)("refuses %s, naming the field", (_name, message, field) => {
    // JSON cannot write Infinity, so that one case is written by hand.
    const frame = message === null ? '{"id":1,"type":"submit","jobs":[{"durationMs":1e400}]}' : JSON.stringify(message);
    const refusal = expectRefusal(parseRequest(frame), ErrorCode.badMessage);
    if (field !== "") expect(namesField(refusal.message, field), refusal.message).toBe(true);
    expect(refusal.id).toBe(1);
  });

  it("names the message type first in a shape refusal", () => {
    const refusal = expectRefusal(parseRequest('{"id":1,"type":"fetch","max":0}'), ErrorCode.badMessage);
    expect(refusal.message).toMatch(/^fetch: max: /);
  });

  it("lists at most three problems in one refusal", () => {
    const refusal = expectRefusal(parseRequest('{"id":1,"type":"hello","a":1,"role":5,"version":"x","secret":3}'), ErrorCode.badMessage);
    expect(refusal.message.split("; ").length).toBeLessThanOrEqual(3);
  });

  it.each(["", "{", "hello", "{'id':1}", '{"id":1,}', "NaN", "undefined", '{"id":1}{"id":2}', "\u00ff"])(
    "refuses %j as bad-json without an id",
    (frame) => {
      const refusal = expectRefusal(parseRequest(frame), ErrorCode.badJson);
      expect(refusal).not.toHaveProperty("id");
    },
  );

  it.each(["[]", '[{"id":1,"type":"stats"}]', "42", "null", '"stats"', "true"])(
    "refuses the JSON %s, which is not an object, as bad-message",
    (frame) => {
      const refusal = expectRefusal(parseRequest(frame), ErrorCode.badMessage);
      expect(refusal.message).toContain("JSON object");
      expect(refusal).not.toHaveProperty("id");
    },
  );

  it.each(["nope", "Submit", "__proto__", "constructor", "toString", "welcome", "assign"])(
    "refuses the unknown type %s as bad-message, naming it",
    (type) => {
      const refusal = expectRefusal(parseRequest(JSON.stringify({ id: 9, type })), ErrorCode.badMessage);
      expect(refusal.message).toContain(`"${type}"`);
      expect(refusal.id).toBe(9);
    },
  );

  it("quotes at most 40 characters of an unknown type", () => {
    const refusal = expectRefusal(parseRequest(JSON.stringify({ id: 1, type: "x".repeat(5000) })), ErrorCode.badMessage);
    expect(refusal.message).toContain(`"${"x".repeat(40)}"`);
    expect(refusal.message).not.toContain("x".repeat(41));
  });

  it.each([{}, { type: 5 }, { type: null }, { type: ["stats"] }])("refuses %j, whose type is not a string, naming `type`", (message) => {
    const refusal = expectRefusal(validateRequest({ id: 2, ...message }), ErrorCode.badMessage);
    expect(refusal.message).toContain("`type`");
    expect(refusal.id).toBe(2);
  });
});

describe("parseRequest: correlation ids in refusals", () => {
  it.each([7, 0, "abc", "x".repeat(64)])("echoes the readable id %j in a refusal", (id) => {
    expect(expectRefusal(parseRequest(JSON.stringify({ id, type: "fetch", max: 0 })), ErrorCode.badMessage).id).toBe(id);
    expect(expectRefusal(parseRequest(JSON.stringify({ id, type: "nope" })), ErrorCode.badMessage).id).toBe(id);
  });

  it.each([-1, 1.5, "", "x".repeat(65), 2 ** 53, null, true, {}, [1]])("leaves out the unreadable id %j", (id) => {
    const refusal = expectRefusal(parseRequest(JSON.stringify({ id, type: "stats" })), ErrorCode.badMessage);
    expect(refusal).not.toHaveProperty("id");
    expect(namesField(refusal.message, "id"), refusal.message).toBe(true);
  });

  it("leaves out the id when the message has none", () => {
    const refusal = expectRefusal(parseRequest('{"type":"stats"}'), ErrorCode.badMessage);
    expect(refusal).not.toHaveProperty("id");
    expect(namesField(refusal.message, "id"), refusal.message).toBe(true);
  });
});

describe("parseRequest: nesting depth", () => {
  // The message is level 1, `jobs` level 2, the job level 3, so a payload starts at level 4.
  const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
  const submitWithPayload = (levels: number) => `{"id":1,"type":"submit","jobs":[{"payload":${nested(levels)}}]}`;

  it(`accepts a message nested exactly ${MAX_JSON_DEPTH} levels deep`, () => {
    expect(parseRequest(submitWithPayload(MAX_JSON_DEPTH - 3)).ok).toBe(true);
  });

  it(`refuses a message nested more than ${MAX_JSON_DEPTH} levels deep, echoing its id`, () => {
    const refusal = expectRefusal(parseRequest(submitWithPayload(MAX_JSON_DEPTH - 2)), ErrorCode.badMessage);
    expect(refusal.message).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(refusal.id).toBe(1);
  });

  it("refuses a payload nested so deeply that encoding it again would overflow the stack", () => {
    const refusal = expectRefusal(parseRequest(submitWithPayload(100_000)), ErrorCode.badMessage);
    expect(refusal.id).toBe(1);
  });

  it("refuses a deeply nested object in a completed job's result", () => {
    const result = `${'{"a":'.repeat(200)}1${"}".repeat(200)}`;
    expectRefusal(parseRequest(`{"id":1,"type":"complete","jobs":[{"jobId":1,"lease":1,"result":${result}}]}`), ErrorCode.badMessage);
  });
});

describe("request roles", () => {
  it("lets a client send hello, heartbeat and the client requests, and nothing a worker sends", () => {
    expect([...clientRequestTypes].sort()).toEqual(
      ["hello", "heartbeat", "submit", "status", "watch", "cancel", "retry", "list", "stats", "pause", "resume"].sort(),
    );
    expect(ClientRequest.safeParse(examples.fetch).success).toBe(false);
  });

  it("lets a worker send hello and the worker requests, and nothing only a client sends", () => {
    expect([...workerRequestTypes].sort()).toEqual(
      ["hello", "heartbeat", "fetch", "withdraw", "complete", "fail", "extend", "progress", "release"].sort(),
    );
    expect(WorkerRequest.safeParse(examples.submit).success).toBe(false);
  });
});

// ---- Random valid requests, and mutations of them ----

const intIn = (min: number, max: number) => fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
const requestId = fc.oneof(intIn(0, Number.MAX_SAFE_INTEGER), fc.string({ unit: "binary", minLength: 1, maxLength: 32 }));
const positiveId = intIn(1, Number.MAX_SAFE_INTEGER);
const name = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);
// `unit: "binary"` may use two UTF-16 units a character, so text stays at half its limit.
const text = (limit: number) => fc.string({ unit: "binary", maxLength: Math.floor(limit / 2) });
const json = fc.jsonValue({ maxDepth: 4 });
const noOptional = { requiredKeys: [] as [] };

const jobSpec = fc.record(
  {
    queue: name,
    type: name,
    durationMs: intIn(0, MAX_DURATION_MS),
    payload: json,
    priority: intIn(1, 9),
    delayMs: intIn(0, MAX_DELAY_MS),
    runAt: intIn(0, 8.64e15),
    timeoutMs: intIn(1, MAX_TIMEOUT_MS),
    maxAttempts: intIn(1, MAX_ATTEMPTS),
  },
  noOptional,
);
const heldLease = fc.record({ jobId: positiveId, lease: positiveId });
const few = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 1, maxLength: 4 });

const anyRequest: fc.Arbitrary<Request> = fc.oneof(
  fc.record(
    {
      id: requestId,
      type: fc.constant("hello" as const),
      role: fc.constantFrom("client" as const, "worker" as const),
      version: intIn(0, 1_000),
      secret: text(1024),
      workerId: fc.string({ unit: "binary", minLength: 1, maxLength: 64 }),
      queues: fc.array(name, { minLength: 1, maxLength: MAX_QUEUES_PER_WORKER }),
      holding: fc.array(heldLease, { maxLength: 4 }),
    },
    { requiredKeys: ["id", "type", "role", "version"] },
  ),
  fc.record(
    { id: requestId, type: fc.constant("submit" as const), jobs: few(jobSpec), key: fc.string({ unit: "binary", minLength: 1, maxLength: 64 }), watch: fc.boolean() },
    { requiredKeys: ["id", "type", "jobs"] },
  ),
  fc.record({ id: requestId, type: fc.constantFrom("status" as const, "cancel" as const, "retry" as const), jobId: positiveId }),
  fc.record({ id: requestId, type: fc.constant("watch" as const), jobIds: few(positiveId) }),
  fc.record(
    {
      id: requestId,
      type: fc.constant("list" as const),
      state: fc.constantFrom("delayed" as const, "pending" as const, "running" as const, "completed" as const, "failed" as const, "cancelled" as const),
      queue: name,
      limit: intIn(1, MAX_LIST_LIMIT),
      after: positiveId,
    },
    { requiredKeys: ["id", "type", "state"] },
  ),
  fc.record({ id: requestId, type: fc.constantFrom("stats" as const, "heartbeat" as const, "withdraw" as const) }),
  fc.record({ id: requestId, type: fc.constantFrom("pause" as const, "resume" as const), queue: name }),
  fc.record({ id: requestId, type: fc.constant("fetch" as const), max: intIn(1, MAX_FETCH) }),
  fc.record({
    id: requestId,
    type: fc.constant("complete" as const),
    jobs: few(fc.record({ jobId: positiveId, lease: positiveId, result: json }, { requiredKeys: ["jobId", "lease"] })),
  }),
  fc.record({
    id: requestId,
    type: fc.constant("fail" as const),
    jobs: few(fc.record({ jobId: positiveId, lease: positiveId, error: text(4096), permanent: fc.boolean() }, { requiredKeys: ["jobId", "lease", "error"] })),
  }),
  fc.record({ id: requestId, type: fc.constant("extend" as const), jobId: positiveId, lease: positiveId }),
  fc.record(
    {
      id: requestId,
      type: fc.constant("progress" as const),
      jobId: positiveId,
      lease: positiveId,
      percent: fc.double({ min: 0, max: 100, noNaN: true }),
      message: text(200),
    },
    { requiredKeys: ["id", "type", "jobId", "lease", "percent"] },
  ),
  fc.record({ id: requestId, type: fc.constant("release" as const), jobs: few(heldLease) }),
);

type Path = Array<string | number>;

/** Every path to a value inside `value`, the root (`[]`) included. */
function pathsIn(value: unknown, prefix: Path = []): Path[] {
  const found: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => found.push(...pathsIn(item, [...prefix, i])));
  else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) found.push(...pathsIn(item, [...prefix, key]));
  }
  return found;
}

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

type Mutation =
  | { kind: "drop"; pick: number }
  | { kind: "replace"; pick: number; value: Json }
  | { kind: "insert"; pick: number; key: string; value: Json }
  | { kind: "garble"; pick: number; junk: string }
  | { kind: "truncate"; pick: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant("insert" as const), pick: fc.nat(), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant("garble" as const), pick: fc.nat(), junk: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("truncate" as const), pick: fc.nat() }),
);

/** Applies one mutation and returns the frame a careless or hostile peer would send. */
function mutate(message: Request, change: Mutation): string {
  const copy = structuredClone(message) as unknown;
  const inner = pathsIn(copy).filter((path) => path.length > 0);
  const frame = () => JSON.stringify(copy);
  switch (change.kind) {
    case "drop": {
      const path = inner[change.pick % inner.length] ?? [];
      const parent = at(copy, path.slice(0, -1));
      const key = path[path.length - 1] ?? "";
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, unknown>)[key];
      return frame();
    }
    case "replace": {
      const path = inner[change.pick % inner.length] ?? [];
      const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown>;
      parent[path[path.length - 1] ?? ""] = change.value;
      return frame();
    }
    case "insert": {
      const objects = pathsIn(copy).filter((path) => {
        const node = at(copy, path);
        return typeof node === "object" && node !== null && !Array.isArray(node);
      });
      const target = at(copy, objects[change.pick % objects.length] ?? []) as Record<string, unknown>;
      target[change.key] = change.value;
      return frame();
    }
    case "garble": {
      const whole = frame();
      const offset = change.pick % (whole.length + 1);
      return whole.slice(0, offset) + change.junk + whole.slice(offset);
    }
    case "truncate": {
      const whole = frame();
      return whole.slice(0, change.pick % whole.length);
    }
  }
}

describe("parseRequest: mutated messages", () => {
  it("never throws on a mutated message and answers with a request or a known refusal", () => {
    fc.assert(
      fc.property(anyRequest, fc.array(mutation, { minLength: 1, maxLength: 3 }), (message, changes) => {
        let frame = JSON.stringify(message);
        for (const change of changes) {
          let value: unknown;
          try {
            value = JSON.parse(frame);
          } catch {
            break; // already not JSON: further structural changes make no sense
          }
          frame = mutate(value as Request, change);
        }
        const result = parseRequest(frame);
        if (result.ok) {
          // Whatever is accepted can be sent on and read back the same.
          expect(parseRequest(encodeFrame(result.request).trimEnd())).toStrictEqual(result);
          return;
        }
        expect([ErrorCode.badJson, ErrorCode.badMessage]).toContain(result.code);
        expect(typeof result.message).toBe("string");
        expect(result.message.length).toBeGreaterThan(0);
        if (result.id !== undefined) expect(JSON.parse(frame)).toMatchObject({ id: result.id });
      }),
      { ...propertyOptions, numRuns: 2_000 },
    );
  });

  it("never throws on a random JSON value and refuses it unless it is a valid request", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateRequest(value);
        if (!result.ok) expect([ErrorCode.badJson, ErrorCode.badMessage]).toContain(result.code);
      }),
      propertyOptions,
    );
  });

  it("never throws on a random string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (frame) => {
        const result = parseRequest(frame);
        expect(result.ok ? "ok" : result.code).toMatch(/^(ok|bad-json|bad-message)$/);
      }),
      propertyOptions,
    );
  });
});
