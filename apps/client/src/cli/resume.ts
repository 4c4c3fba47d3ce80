// `djq resume <queue>`: hand out a paused queue's jobs again.
import { queueArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const resumeCommand = actionCommand({
  name: "resume",
  summary: "assign a paused queue's jobs again",
  argument: "<queue>",
  explanation: "Workers get jobs from this queue again.",
  parse: queueArgument,
  createFlag: "accept a queue that does not exist (there is nothing to resume; without it, an unknown queue is refused)",
  act: (client, queue, options) => client.resume(queue, options),
  done: (queue) => `resumed queue ${queue}`,
  json: (queue) => ({ queue }),
});
