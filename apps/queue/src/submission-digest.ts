// The digest of a keyed submission's jobs, kept by the core beside the key so that a key reused
// for another request is refused rather than answered with the first request's ids. Computed
// here because hashing is I/O-free but not the core's business (no node: modules there).
import crypto from "node:crypto";
import type { JobSpec } from "@djq/protocol";

export function submissionDigest(jobs: readonly JobSpec[]): string {
  const text = JSON.stringify(jobs);
  // The one-shot hash (Node 20.12 and later) costs half of a Hash object's set-up and digest.
  return crypto.hash === undefined ? crypto.createHash("sha256").update(text).digest("base64") : crypto.hash("sha256", text, "base64");
}
