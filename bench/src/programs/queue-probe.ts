// Preloaded into the queue process (node --expose-gc --import …/queue-probe.js) for the memory
// workload only. On request it collects garbage and answers process.memoryUsage() over IPC; it
// reads nothing of the queue's and changes none of its code.
import type { ProbeCommand, ProbeReport } from "../bench-messages.js";

const collect = (globalThis as { gc?: () => void }).gc;

process.on("message", (command: ProbeCommand) => {
  if (command.type !== "memory") return;
  // Twice: the first pass can leave objects that only a second, full pass frees (weak refs, finalizers).
  collect?.();
  collect?.();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  const reply: ProbeReport = { type: "memory", heapUsed, rss, external, arrayBuffers, gc: collect !== undefined };
  process.send?.(reply);
});
// The channel must not keep the queue alive when it is asked to stop.
process.channel?.unref();
