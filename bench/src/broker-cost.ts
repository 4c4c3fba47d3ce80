// What one measured window cost the broker process (djq's queue or the floor broker) per job: its
// CPU time and its write system calls, read from /proc before and after, so nothing in the
// broker counts anything.
import { cpuTimeMs, syscallCounts } from "./processes.js";

export interface BrokerCost {
  /** CPU time (user + system) per job, µs. */
  cpuUsPerJob: number | undefined;
  /** Write system calls per job: each is one loopback segment sent to a peer. */
  writesPerJob: number | undefined;
}

/** Starts counting now; the function returned reads the counts again and divides by `jobs`. */
export function countBrokerCost(pid: number): (jobs: number) => BrokerCost {
  const cpuBefore = cpuTimeMs(pid);
  const writesBefore = syscallCounts(pid)?.writes;
  return (jobs) => {
    const cpuAfter = cpuTimeMs(pid);
    const writesAfter = syscallCounts(pid)?.writes;
    return {
      cpuUsPerJob: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / jobs,
      writesPerJob: writesBefore === undefined || writesAfter === undefined ? undefined : (writesAfter - writesBefore) / jobs,
    };
  };
}
