// The djq CLI as a test drives it: run one command with --json, insist that it succeeded, and
// hand back what it printed, parsed. A failed command throws with its stderr, so a test's error
// says what the CLI said.
import type { JobView, StatsReply } from "@djq/protocol";
import { runClient } from "./processes.js";

export async function cliJson<T>(port: number, args: string[], extraArgs: string[] = []): Promise<T> {
  const run = await runClient(port, [...args, "--json", ...extraArgs]);
  if (run.code !== 0) throw new Error(`djq ${args.join(" ")} exited ${run.code}: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as T;
}

/** `djq submit … --json` without --wait: the new job ids. */
export function submitJobs(port: number, args: string[] = []): Promise<number[]> {
  return cliJson<number[]>(port, ["submit", ...args]);
}

export async function submitJob(port: number, args: string[] = []): Promise<number> {
  const [jobId] = await submitJobs(port, args);
  return jobId as number;
}

export function jobStatus(port: number, jobId: number): Promise<JobView> {
  return cliJson<JobView>(port, ["status", String(jobId)]);
}

export function queueStats(port: number): Promise<Omit<StatsReply, "id" | "type">> {
  return cliJson(port, ["stats"]);
}
