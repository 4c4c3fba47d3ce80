// Encoded sizes of the job data peers hand the queue, measured before anything is kept: a job
// must fit in one frame whatever is later added to it (its result, its history), and every byte
// kept counts against the memory budget.
import { jsonBytes, type JobSpec } from "@djq/protocol";
import type { QueueConfig } from "./queue-config.js";

/** Room a job's view needs beyond its payload and result: its fields, a history of ordinary
 * length and the reply's envelope; an eighth of a frame when frames are small. */
export function viewReserveBytes(maxFrameBytes: number): number {
  return Math.min(16 * 1024, Math.floor(maxFrameBytes / 8));
}

export type JobSizeLimits = Pick<QueueConfig, "maxPayloadBytes" | "maxFrameBytes"> & { core: { memory: { maxResultBytes: number } } };

/** The largest payload a job may carry: the configured one, or less if a frame could not hold it. */
export function payloadLimitBytes(limits: JobSizeLimits): number {
  return Math.min(limits.maxPayloadBytes, limits.maxFrameBytes - limits.core.memory.maxResultBytes - viewReserveBytes(limits.maxFrameBytes));
}

export type PayloadSizes =
  | { ok: true; bytes: number[] | undefined }
  | { ok: false; index: number; bytes: number; limit: number };

/** Each job's encoded payload size (undefined when none has a payload), or the first one too large. */
export function measurePayloads(jobs: readonly JobSpec[], limits: JobSizeLimits): PayloadSizes {
  const limit = payloadLimitBytes(limits);
  let sizes: number[] | undefined;
  for (let index = 0; index < jobs.length; index += 1) {
    const payload = jobs[index]?.payload;
    if (payload === undefined) continue;
    const bytes = jsonBytes(payload);
    if (bytes > limit) return { ok: false, index, bytes, limit };
    sizes ??= new Array<number>(jobs.length).fill(0);
    sizes[index] = bytes;
  }
  return { ok: true, bytes: sizes };
}

/** The encoded size of each item's result (0 for none), for the core to check and count; undefined
 * when no item has a result. A list beside the items, not a copy of each item with its size added:
 * copying a parsed report cost more than the rest of its handling in the queue's core. */
export function measureResults(items: readonly { result?: unknown }[]): number[] | undefined {
  let sizes: number[] | undefined;
  for (let index = 0; index < items.length; index += 1) {
    const result = items[index]?.result;
    if (result === undefined) continue;
    sizes ??= new Array<number>(items.length).fill(0);
    sizes[index] = jsonBytes(result);
  }
  return sizes;
}
