// `djq resume <queue>`: hand out a paused queue's jobs again.
import { queueArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const resumeCommand = actionCommand({
  name: "resume",
  summary: "assign a paused queue's jobs again",
  argument: "QUEUE",
  explanation: "Workers get jobs from this queue again.",
  parse: queueArgument,
  act: (client, queue) => client.resume(queue),
  done: (queue) => `resumed queue ${queue}`,
  json: (queue) => ({ queue }),
});
