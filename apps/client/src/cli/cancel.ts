// `djq cancel <id>`: stop a job that has not settled; a running attempt is told to abandon it.
import { jobIdArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const cancelCommand = actionCommand({
  name: "cancel",
  summary: "cancel a job that has not settled",
  argument: "JOB-ID",
  explanation: "Cancels the job; if it is running, its worker is told to abandon it.",
  parse: jobIdArgument,
  act: (client, jobId) => client.cancel(jobId),
  done: (jobId) => `cancelled job ${jobId}`,
  json: (jobId) => ({ jobId }),
});
