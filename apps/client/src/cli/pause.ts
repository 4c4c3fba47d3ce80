// `djq pause <queue>`: stop handing out the queue's jobs; running ones finish, new ones wait.
import { queueArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const pauseCommand = actionCommand({
  name: "pause",
  summary: "stop assigning a queue's jobs",
  argument: "<queue>",
  explanation: "Workers get no more jobs from this queue until it is resumed; running jobs finish.",
  parse: queueArgument,
  createFlag: "create the queue, paused, if it does not exist yet (without it, an unknown queue is refused)",
  act: (client, queue, options) => client.pause(queue, options),
  done: (queue) => `paused queue ${queue}`,
  json: (queue) => ({ queue }),
});
