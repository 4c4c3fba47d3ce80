// The runner alone, without a socket: every way an attempt can end becomes the right outcome.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobContext, JobHandler } from "./job-handler.js";
import { MAX_ERROR_CHARS } from "@djq/protocol";
import { runJob } from "./job-runner.js";
import { PermanentJobError } from "./permanent-job-error.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { assignment } from "@djq/runtime/testing";

const ctx: JobContext = {
  signal: new AbortController().signal,
  workerId: "w-1",
  progress: async () => {},
  extend: async () => {},
  logger: captureLogger(),
};

function run(handler: JobHandler | undefined, fields: Parameters<typeof assignment>[1] = {}, schema?: z.ZodType, maxResultBytes = 1_000) {
  return runJob({ assignment: assignment(1, { type: "t", ...fields }), handler, schema, ctx, maxResultBytes });
}

describe("runJob", () => {
  it("hands the handler the job with its lease and attempt, and completes with what it returns", async () => {
    const outcome = await run((job) => ({ seen: job }), { attempt: 2, payload: { a: 1 } });
    expect(outcome).toEqual({
      kind: "completed",
      resultBytes: expect.any(Number),
      result: {
        seen: { id: 1, type: "t", queue: "default", payload: { a: 1 }, attempt: 2, maxAttempts: 3, lease: 10, durationMs: 0, timeoutMs: 30_000 },
      },
    });
  });

  it("passes the payload as the schema parsed it", async () => {
    const schema = z.object({ n: z.coerce.number() });
    const outcome = await run((job) => job.payload, { payload: { n: "7" } }, schema);
    expect(outcome).toMatchObject({ kind: "completed", result: { n: 7 } });
  });

  it("sends a result as its JSON text would carry it, counted without encoding or encoded, an own __proto__ field included", async () => {
    for (const result of [7, "plain", null, { a: 1, b: "x", c: true }, {}, { nested: { a: 1 } }, "needs \"escapes\"", JSON.parse('{"__proto__":1,"a":2}') as unknown]) {
      const text = JSON.stringify(result);
      expect(await run(() => result), text).toEqual({ kind: "completed", result: JSON.parse(text) as unknown, resultBytes: Buffer.byteLength(text) });
    }
  });

  it("completes with no result when the handler returns nothing", async () => {
    expect(await run(() => undefined)).toEqual({ kind: "completed", result: undefined, resultBytes: 0 });
  });

  it("fails a handler that throws synchronously, and one that throws something that is not an Error", async () => {
    expect(await run(() => { throw new Error("sync"); })).toEqual({ kind: "failed", error: "sync", permanent: false });
    expect(await run(() => Promise.reject("a string"))).toEqual({ kind: "failed", error: "a string", permanent: false });
  });

  it("marks a PermanentJobError permanent", async () => {
    expect(await run(() => { throw new PermanentJobError("nope"); })).toEqual({ kind: "failed", error: "nope", permanent: true });
  });

  it("cuts an error message to the wire's limit", async () => {
    const outcome = await run(() => { throw new Error("x".repeat(10_000)); });
    expect(outcome.kind === "failed" && outcome.error.length).toBe(MAX_ERROR_CHARS);
  });

  it("fails permanently a result that cannot be serialised or is too large to send", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await run(() => cyclic)).toMatchObject({ kind: "failed", permanent: true, error: expect.stringContaining("not JSON-serialisable") });
    expect(await run(() => 10n)).toMatchObject({ kind: "failed", permanent: true });
    expect(await run(() => "y".repeat(2_000))).toMatchObject({ kind: "failed", permanent: true, error: expect.stringContaining("2002 bytes") });
    const throwing = { get boom(): never { throw new Error("no reading this"); } };
    expect(await run(() => throwing)).toEqual({ kind: "failed", permanent: true, error: "the result is not JSON-serialisable: no reading this" });
  });

  it("completes with what JSON carries of the result, counted in bytes as JSON encodes it", async () => {
    const results: unknown[] = [
      { sleptMs: 0, workerId: "host-1-abc" },
      { n: -12.5e-9, big: 2 ** 60, zero: -0, nan: NaN, none: null, yes: true, gone: undefined, fn: () => 1 },
      { quote: 'say "hi"', slash: "a\\b", accents: "héllo", emoji: "🙂", newline: "a\nb" },
      { nested: { deeper: [1, "two", { three: 3 }] }, when: new Date(0) },
      { 10: "ten", 2: "two", b: "b", a: "a" },
      "plain",
      'quote"d',
      42,
      -0,
      Infinity,
      null,
      false,
      [1, { a: 2 }],
    ];
    for (const result of results) {
      const outcome = await run(() => result);
      const json = JSON.stringify(result);
      expect(outcome).toEqual({ kind: "completed", result: JSON.parse(json), resultBytes: Buffer.byteLength(json) });
      if (outcome.kind === "completed") expect(Object.is(outcome.result, JSON.parse(json))).toBe(typeof result !== "object" || result === null);
    }
  });

  it("completes with a copy, not the object the handler may go on changing", async () => {
    const result = { count: 1 };
    const outcome = await run(() => result);
    result.count = 2;
    expect(outcome).toMatchObject({ kind: "completed", result: { count: 1 } });
  });

  it("takes the value of a thenable the handler returns, as await would", async () => {
    expect(await run(() => ({ then: (resolve: (value: number) => void) => resolve(5) }) as unknown as Promise<number>)).toMatchObject({ kind: "completed", result: 5 });
    const broken = { get then(): never { throw new Error("no then"); } };
    expect(await run(() => broken)).toEqual({ kind: "failed", error: "no then", permanent: false });
  });

  it("fails permanently when there is no handler", async () => {
    expect(await run(undefined)).toEqual({ kind: "failed", error: 'no handler for job type "t"', permanent: true });
  });
});
