// `djq pause <queue>`: stop handing out the queue's jobs; running ones finish, new ones wait.
import { queueArgument } from "./command.js";
import { actionCommand } from "./job-action.js";

export const pauseCommand = actionCommand({
  name: "pause",
  summary: "stop assigning a queue's jobs",
  argument: "QUEUE",
  explanation: "Workers get no more jobs from this queue until it is resumed; running jobs finish.",
  parse: queueArgument,
  act: (client, queue) => client.pause(queue),
  done: (queue) => `paused queue ${queue}`,
  json: (queue) => ({ queue }),
});
