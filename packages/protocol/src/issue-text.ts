// How a schema refusal reads, in one place: the queue's bad-message replies, the client's checks
// before sending and the worker's payload checks all say it the same way.
import type { z } from "zod";

/**
 * One sentence naming each offending field, e.g. `jobs[0].durationMs: Too small: expected number to
 * be >=0`. `within` is the path of the checked value inside a larger one (`["jobs", 3]`).
 */
export function describeIssues(error: z.ZodError, within: readonly PropertyKey[] = []): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = formatIssuePath([...within, ...issue.path]);
      return path === "" ? issue.message : `${path}: ${issue.message}`;
    })
    .join("; ");
}

/** `["jobs", 0, "payload"]` → `jobs[0].payload`: the way a reader of JSON writes it. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}
