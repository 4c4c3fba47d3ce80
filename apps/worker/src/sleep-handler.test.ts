// The built-in sleep handler: it sleeps, can be interrupted, and fails or crashes on request.
import { describe, expect, it, vi } from "vitest";
import type { Job, JobContext } from "./job-handler.js";
import { PermanentJobError } from "./permanent-job-error.js";
import { SleepPayload, createSleepHandler, sleepHandler, type SleepPayload as Payload } from "./sleep-handler.js";
import { captureLogger } from "./test-support/capture-logger.js";

function job(payload: Payload, fields: Partial<Omit<Job, "payload">> = {}): Job<Payload> {
  return { id: 1, type: "sleep", queue: "default", payload, attempt: 1, maxAttempts: 3, lease: 10, durationMs: 20, timeoutMs: 1_000, ...fields };
}

function context(signal = new AbortController().signal): JobContext {
  return { signal, workerId: "w-1", progress: async () => {}, extend: async () => {}, logger: captureLogger() };
}

describe("the sleep handler", () => {
  it("sleeps for the job's duration and says which worker slept", async () => {
    const result = await sleepHandler(job(undefined), context());
    expect(result.workerId).toBe("w-1");
    expect(result.sleptMs).toBeGreaterThanOrEqual(20);
  });

  it("sleeps on when its timer fires before the wall clock shows the whole duration", async () => {
    vi.useFakeTimers();
    try {
      const sleeping = Promise.resolve(sleepHandler(job(undefined, { durationMs: 20 }), context()));
      let settled = false;
      void sleeping.then(() => (settled = true));
      // The wall clock a millisecond behind the timers, as it can be in a real process.
      vi.setSystemTime(Date.now() - 1);
      await vi.advanceTimersByTimeAsync(20);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(sleeping).resolves.toMatchObject({ sleptMs: 20 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops sleeping as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleepHandler(job(undefined, { durationMs: 10_000 }), context(controller.signal));
    controller.abort(new Error("abandoned"));
    await expect(sleeping).rejects.toThrow("abandoned");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("rejects with the signal's reason when it aborted before the sleep, even a zero-length one", async () => {
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await expect(sleepHandler(job(undefined, { durationMs: 0 }), context(controller.signal))).rejects.toThrow("too late");
    await expect(sleepHandler(job(undefined, { durationMs: 50 }), context(controller.signal))).rejects.toThrow("too late");
  });

  it("reports progress at 25, 50 and 75% of a sleep of a second or more, and none for a shorter one", async () => {
    vi.useFakeTimers();
    try {
      const reported: number[] = [];
      const ctx = { ...context(), progress: async (percent: number) => void reported.push(percent) };
      const long = sleepHandler(job(undefined, { durationMs: 2_000 }), ctx);
      await vi.advanceTimersByTimeAsync(1_100);
      expect(reported).toEqual([25, 50]);
      await vi.advanceTimersByTimeAsync(900);
      await expect(long).resolves.toMatchObject({ sleptMs: 2_000 });
      expect(reported).toEqual([25, 50, 75]);

      reported.length = 0;
      const short = sleepHandler(job(undefined, { durationMs: 999 }), ctx);
      await vi.advanceTimersByTimeAsync(999);
      await short;
      expect(reported).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("fails every attempt when asked to, with the message given", async () => {
    await expect(sleepHandler(job({ fail: true }, { durationMs: 0 }), context())).rejects.toThrow("simulated failure");
    await expect(sleepHandler(job({ fail: "out of paper" }, { durationMs: 0 }), context())).rejects.toThrow("out of paper");
  });

  it("fails the first failTimes attempts and then succeeds", async () => {
    const run = (attempt: number) => sleepHandler(job({ failTimes: 2 }, { attempt, durationMs: 0 }), context());
    await expect(run(1)).rejects.toThrow("simulated failure 1 of 2");
    await expect(run(2)).rejects.toThrow("simulated failure 2 of 2");
    await expect(run(3)).resolves.toMatchObject({ workerId: "w-1" });
  });

  it("makes a simulated failure permanent when asked to", async () => {
    await expect(sleepHandler(job({ fail: true, permanent: true }, { durationMs: 0 }), context())).rejects.toBeInstanceOf(PermanentJobError);
  });

  it("crashes only through the onCrash it was given, and fails the attempt otherwise", async () => {
    const onCrash = vi.fn();
    await createSleepHandler({ onCrash })(job({ crash: true }, { durationMs: 0 }), context());
    expect(onCrash).toHaveBeenCalledOnce();
    await expect(sleepHandler(job({ crash: true }, { durationMs: 0 }), context())).rejects.toThrow("does not allow crashing");
  });

  it("accepts no payload or unknown fields, and rejects options of the wrong type", () => {
    expect(SleepPayload.safeParse(undefined).success).toBe(true);
    expect(SleepPayload.safeParse({ note: "hi" }).success).toBe(true);
    expect(SleepPayload.safeParse({ failTimes: "2" }).success).toBe(false);
  });
});
