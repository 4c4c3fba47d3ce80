// The digest of a keyed submission's jobs, kept by the core beside the key so that a key reused
// for another request is refused rather than answered with the first request's ids. Computed
// here because hashing is I/O-free but not the core's business (no node: modules there).
import { createHash } from "node:crypto";
import type { JobSpec } from "@djq/protocol";

export function submissionDigest(jobs: readonly JobSpec[]): string {
  return createHash("sha256").update(JSON.stringify(jobs)).digest("base64");
}
