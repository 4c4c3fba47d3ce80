// `djq retry <id>`: give a failed or cancelled job another run, with fresh attempts.
import { jobIdArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const retryCommand = actionCommand({
  name: "retry",
  summary: "run a failed or cancelled job again",
  argument: "JOB-ID",
  explanation: "Puts a failed or cancelled job back in its queue.",
  parse: jobIdArgument,
  act: (client, jobId) => client.retry(jobId),
  done: (jobId) => `retried job ${jobId}`,
  json: (jobId) => ({ jobId }),
});
