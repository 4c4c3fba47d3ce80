// The first message on every connection, from either role. Nothing else is accepted before it.
import { z } from "zod";
import { JobId, Lease, QueueName } from "./job.js";
import { MAX_HELD_LEASES, MAX_ID_CHARS, MAX_QUEUES_PER_WORKER } from "./limits.js";
import { RequestId } from "./request-id.js";

// "liveness": a worker's second connection, opened by a thread apart from its handlers, that only
// beats. It proves the process alive while handlers hold the worker's main event loop.
export const Role = z.enum(["client", "worker", "liveness"]);
export type Role = z.infer<typeof Role>;

/** A worker's own name for itself, stable across reconnects. */
export const WorkerId = z.string().min(1).max(MAX_ID_CHARS);
export type WorkerId = z.infer<typeof WorkerId>;

export const HeldLease = z.strictObject({ jobId: JobId, lease: Lease });
export type HeldLease = z.infer<typeof HeldLease>;

export const Hello = z.strictObject({
  id: RequestId,
  type: z.literal("hello"),
  role: Role,
  version: z.number().int().min(0),
  secret: z.string().max(1024).optional(),
  /** Workers: a stable id that survives reconnects, so leases still held can be kept. */
  workerId: WorkerId.optional(),
  /** Workers: the queues served, taken in turn so none is starved. */
  queues: z.array(QueueName).min(1).max(MAX_QUEUES_PER_WORKER).optional(),
  /** Workers, on reconnect: the leases still being worked on; any other lease of this worker is revoked. */
  holding: z.array(HeldLease).max(MAX_HELD_LEASES).optional(),
  /** Liveness connections: the token of the worker session this connection keeps alive, from its `welcome`. */
  livenessToken: z.string().min(1).max(64).optional(),
});
export type Hello = z.infer<typeof Hello>;
