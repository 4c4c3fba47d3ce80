import { z } from "zod";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, type DjqClient } from "./client.js";
import { PayloadValidationError, defineJobTypes, parsePayload } from "./job-types.js";
import { FakeQueue } from "@djq/runtime/testing";

const jobTypes = defineJobTypes({
  "send-email": z.object({ to: z.string().email(), subject: z.string().default("hello") }),
  resize: z.object({ width: z.number().int().positive() }),
});

let queue: FakeQueue;
let client: DjqClient<typeof jobTypes>;

afterEach(async () => {
  await client.close();
  await queue.stop();
});

async function setup() {
  queue = await FakeQueue.start();
  client = await connectClient({ port: queue.port, jobTypes });
  return queue.nextConnection();
}

describe("typed enqueue", () => {
  it("sends the type and the parsed payload, with defaults filled in", async () => {
    const conn = await setup();
    const enqueuing = client.enqueue("send-email", { to: "a@example.com" }, { priority: 7, watch: true });
    const request = await conn.expect("submit");
    expect(request.jobs).toEqual([{ priority: 7, type: "send-email", payload: { to: "a@example.com", subject: "hello" } }]);
    expect(request.watch).toBe(true);
    conn.reply(request, { type: "submitted", jobIds: [12] });
    expect(await enqueuing).toBe(12);
  });

  it("refuses an invalid payload without sending anything", async () => {
    const conn = await setup();
    const error = await client.enqueue("resize", { width: -3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect((error as PayloadValidationError).jobType).toBe("resize");
    expect((error as Error).message).toMatch(/width/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(conn.received).toEqual([]);
  });

  it("checks every payload of enqueueMany before sending any", async () => {
    const conn = await setup();
    await expect(client.enqueueMany("resize", [{ width: 10 }, { width: 0 }])).rejects.toBeInstanceOf(PayloadValidationError);
    expect(conn.received).toEqual([]);
  });

  it("makes an unknown job type or a wrong payload a compile error", async () => {
    await setup();
    const typo = () =>
      // @ts-expect-error "send-emial" is not a registered job type
      client.enqueue("send-emial", { to: "a@example.com" });
    const wrongField = () =>
      // @ts-expect-error `width` must be a number
      client.enqueue("resize", { width: "wide" });
    await expect(typo()).rejects.toThrow(TypeError);
    await expect(wrongField()).rejects.toBeInstanceOf(PayloadValidationError);
  });
});

describe("defineJobTypes", () => {
  it("rejects a name the wire would refuse as a job type", () => {
    expect(() => defineJobTypes({ "send email": z.object({}) })).toThrow(/job type "send email"/);
  });

  it("does not treat inherited object keys as job types", () => {
    expect(() => parsePayload(jobTypes, "toString", {})).toThrow(/not a registered job type/);
  });
});
