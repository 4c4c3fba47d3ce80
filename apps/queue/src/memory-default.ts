// The memory budget's default, from the machine the queue runs on: job data lives on V8's heap
// (payload strings and objects, results), and past the heap's limit the process dies with every
// job, so the budget stays well inside both the machine's memory and the heap's limit.
import os from "node:os";
import v8 from "node:v8";

/** A quarter of the machine's memory, and at most a third of the heap limit (room for parsed
 * objects, which cost more than their encoding, and for garbage between collections). */
export function defaultMemoryBytes(): number {
  return Math.floor(Math.min(os.totalmem() / 4, v8.getHeapStatistics().heap_size_limit / 3));
}
