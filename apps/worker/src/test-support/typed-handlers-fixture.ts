// Compiled, never run: what createWorker's types must allow and refuse. typed-handlers.test.ts
// runs the compiler on this file; if the typing were removed, the type assertions and the
// expected errors below would no longer hold and the compiler would say so.
import { expectTypeOf } from "vitest";
import { z } from "zod";
import { createWorker } from "../worker.js";
import type { SleepPayload } from "../sleep-handler.js";

const jobTypes = {
  email: z.object({ to: z.email(), attempts: z.number().default(3) }),
  resize: z.object({ width: z.coerce.number() }),
};

createWorker({
  host: "127.0.0.1",
  port: 7070,
  jobTypes,
  handlers: {
    email: (job) => {
      // The schema's output: `attempts` is filled in by its default, so it is not optional here.
      expectTypeOf(job.payload).toEqualTypeOf<{ to: string; attempts: number }>();
    },
    resize: (job) => {
      expectTypeOf(job.payload.width).toEqualTypeOf<number>();
    },
    sleep: (job) => {
      expectTypeOf(job.payload).toEqualTypeOf<SleepPayload>();
    },
  },
});

createWorker({
  host: "127.0.0.1",
  port: 7070,
  jobTypes,
  handlers: {
    // @ts-expect-error "invoice" is not one of jobTypes' types
    invoice: () => undefined,
  },
});

createWorker({
  host: "127.0.0.1",
  port: 7070,
  jobTypes,
  handlers: {
    // @ts-expect-error the payload is { to, attempts }, which has no `url`
    email: (job) => job.payload.url,
  },
});
