// Workers and clients check every frame from the queue against these schemas: each kind the queue
// sends must parse, and a wrong one must be refused rather than trusted.
import { describe, expect, it } from "vitest";
import { ErrorCode, errorCodes, fatalErrorCodes } from "./error-codes.js";
import { FrameDecoder, encodeFrame } from "./framing.js";
import type { JobView } from "./job.js";
import { failedJobExample, runningJobExample, serverMessageExamples, stateCountsExample } from "./examples.js";
import { ServerMessage, parseServerMessage, type ParsedServerMessage } from "./server-messages.js";

type ServerMessageType = ServerMessage["type"];

function throughTheWire(message: object): ParsedServerMessage {
  const frames: string[] = [];
  expect(new FrameDecoder().push(Buffer.from(encodeFrame(message), "utf8"), (f) => frames.push(f))).toBeUndefined();
  expect(frames).toHaveLength(1);
  return parseServerMessage(frames[0] ?? "");
}

const runningJob = runningJobExample;
const failedJob = failedJobExample;
const counts = stateCountsExample;
const examples = serverMessageExamples;
const exampleList: ServerMessage[] = Object.values(examples);

describe("parseServerMessage", () => {
  it("has an example for every server message kind", () => {
    const kinds = ServerMessage.options.map((schema) => schema.shape.type.value as string);
    expect(Object.keys(examples).sort()).toEqual(kinds.sort());
  });

  it.each(exampleList.map((m) => [m.type, m] as const))("parses a %s sent over the wire", (_type, message) => {
    expect(throughTheWire(message)).toStrictEqual({ ok: true, message });
  });

  it("parses an empty ack, an empty assign, a last page without next, and a job not yet run", () => {
    const pending: JobView = { ...failedJob, state: "pending", attempts: 0, history: [] };
    delete pending.error;
    delete pending.settledAt;
    for (const message of [
      { id: 1, type: "ack", refused: [] },
      { id: 1, type: "assign", jobs: [] },
      { id: 1, type: "jobs", jobs: [] },
      { id: 1, type: "job", job: pending },
    ]) {
      expect(throughTheWire(message)).toStrictEqual({ ok: true, message });
    }
  });

  it("parses a settled push for each final state, with an error or a result", () => {
    for (const settled of [
      { type: "settled", jobs: [{ jobId: 1, state: "completed", result: null }] },
      { type: "settled", jobs: [{ jobId: 1, state: "failed", error: "boom" }] },
      { type: "settled", jobs: [{ jobId: 1, state: "cancelled" }] },
    ]) {
      expect(parseServerMessage(JSON.stringify(settled))).toStrictEqual({ ok: true, message: settled });
    }
  });

  it.each(["timed-out", "cancelled", "lease-revoked"])("parses an abandon push whose reason is %s", (reason) => {
    expect(parseServerMessage(JSON.stringify({ type: "abandon", jobId: 1, lease: 2, reason })).ok).toBe(true);
  });

  it.each(errorCodes.map((code) => [code]))("parses an error reply with the code %s", (code) => {
    const message = { id: 1, type: "error", code, message: "why" };
    expect(parseServerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });

  it("parses an error without an id, sent when the request's id could not be read", () => {
    const message = { type: "error", code: ErrorCode.badJson, message: "not valid JSON" };
    expect(parseServerMessage(JSON.stringify(message))).toStrictEqual({ ok: true, message });
  });

  it("drops fields it does not know, so a newer queue may add some", () => {
    const parsed = parseServerMessage(JSON.stringify({ ...examples.welcome, motd: "hi" }));
    expect(parsed).toStrictEqual({ ok: true, message: examples.welcome });
  });

  const wrong: Array<[string, unknown]> = [
    ["a welcome without heartbeatTimeoutMs", { ...examples.welcome, heartbeatTimeoutMs: undefined }],
    ["a welcome whose version is a string", { ...examples.welcome, version: "1" }],
    ["a welcome without an id", { ...examples.welcome, id: undefined }],
    ["a submitted whose job id is 0", { id: 1, type: "submitted", jobIds: [0] }],
    ["a job whose state does not exist", { id: 1, type: "job", job: { ...runningJob, state: "archived" } }],
    ["a job without its history", { id: 1, type: "job", job: { ...runningJob, history: undefined } }],
    ["a job whose attempt outcome does not exist", { id: 1, type: "job", job: { ...runningJob, history: [{ ...runningJob.history[0], outcome: "lost" }] } }],
    ["a job whose progress is over 100 percent", { id: 1, type: "job", job: { ...runningJob, progress: { percent: 101 } } }],
    ["a jobs page whose next is 0", { id: 1, type: "jobs", jobs: [], next: 0 }],
    ["a stats without the delayed count", { ...examples.stats, counts: { ...counts, delayed: undefined } }],
    ["a stats whose recent event kind does not exist", { ...examples.stats, recent: [{ at: 1, kind: "exploded", reason: "?" }] }],
    ["an ok without an id", { type: "ok" }],
    ["an ack whose refusal has an unknown code", { id: 1, type: "ack", refused: [{ jobId: 1, code: "nope", message: "?" }] }],
    ["an ack without its refused list", { id: 1, type: "ack" }],
    ["an assign whose attempt is 0", { id: 1, type: "assign", jobs: [{ ...examples.assign.jobs[0], attempt: 0 }] }],
    ["an assign whose lease is 0", { id: 1, type: "assign", jobs: [{ ...examples.assign.jobs[0], lease: 0 }] }],
    ["an assign whose queue name is bad", { id: 1, type: "assign", jobs: [{ ...examples.assign.jobs[0], queue: "a b" }] }],
    ["a heartbeat without an id", { type: "heartbeat" }],
    ["an abandon without a lease", { type: "abandon", jobId: 1, reason: "cancelled" }],
    ["an abandon whose reason does not exist", { type: "abandon", jobId: 1, lease: 1, reason: "bored" }],
    ["a settled whose state does not exist", { type: "settled", jobs: [{ jobId: 1, state: "done" }] }],
    ["a settled without a job id", { type: "settled", jobs: [{ state: "completed" }] }],
    ["a shutdown whose graceMs is a string", { type: "shutdown", graceMs: "10s" }],
    ["an error whose code does not exist", { id: 1, type: "error", code: "teapot", message: "?" }],
    ["an error without a message", { id: 1, type: "error", code: ErrorCode.internal }],
    ["a message of a kind the queue never sends", { id: 1, type: "hello", role: "client", version: 1 }],
    ["a message without a type", { id: 1 }],
    ["an array", [examples.ok]],
    ["null", null],
    ["a number", 42],
  ];

  it.each(wrong)("refuses %s", (_name, value) => {
    const parsed = parseServerMessage(JSON.stringify(value));
    expect(parsed.ok).toBe(false);
    expect(parsed.message).toEqual(expect.any(String));
  });

  it("refuses a line that is not JSON", () => {
    const parsed = parseServerMessage("{oops");
    expect(parsed).toEqual({ ok: false, message: expect.stringContaining("not valid JSON") });
  });

  it("names the offending field in a refusal", () => {
    const parsed = parseServerMessage(JSON.stringify({ type: "abandon", jobId: 1, lease: 0, reason: "cancelled" }));
    expect(parsed).toEqual({ ok: false, message: expect.stringContaining("lease:") });
  });
});

describe("error codes", () => {
  it("has no two codes alike", () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
  });

  it("closes the connection only after codes it knows", () => {
    for (const code of fatalErrorCodes) expect(errorCodes).toContain(code);
  });

  it("closes the connection after a framing error, since the stream can no longer be framed", () => {
    expect(fatalErrorCodes.has(ErrorCode.frameTooLarge)).toBe(true);
    expect(fatalErrorCodes.has(ErrorCode.badUtf8)).toBe(true);
  });

  it("keeps the connection open after a request-level refusal", () => {
    for (const code of [ErrorCode.badJson, ErrorCode.badMessage, ErrorCode.staleLease, ErrorCode.unknownJob, ErrorCode.queueFull]) {
      expect(fatalErrorCodes.has(code)).toBe(false);
    }
  });
});
