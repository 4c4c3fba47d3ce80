// zod compiles each object schema into a specialised function the first time it parses one: about
// 2.5 ms for an `assign`. A long-running program parses one example of every message at startup,
// so that cost is not paid on the first job a worker is handed or the first failover the queue
// handles, where it used to be most of the delay.
import { requestExamples, serverMessageExamples } from "./examples.js";
import { parseRequest } from "./requests.js";
import { parseServerMessage } from "./server-messages.js";

/** Parses every request example as the queue would; returns how many parsed (all of them, unless an example is stale). */
export function warmUpRequestParser(): number {
  let parsed = 0;
  for (const example of Object.values(requestExamples)) if (parseRequest(JSON.stringify(example)).ok) parsed += 1;
  return parsed;
}

/** Parses every server-message example as a worker or client would; returns how many parsed. */
export function warmUpServerMessageParser(): number {
  let parsed = 0;
  for (const example of Object.values(serverMessageExamples)) if (parseServerMessage(JSON.stringify(example)).ok) parsed += 1;
  return parsed;
}
