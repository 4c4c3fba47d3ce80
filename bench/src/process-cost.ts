// What one measured window cost each process of a system per job: CPU time in user space and in
// the kernel, and write and read system calls, read from /proc before and after, so nothing in
// the measured programs counts anything.
import { cpuTimesMs, syscallCounts } from "./processes.js";

export interface ProcessCost {
  /** CPU time (user + system) per job, µs. */
  cpuUsPerJob: number | undefined;
  userUsPerJob: number | undefined;
  systemUsPerJob: number | undefined;
  /** Write system calls per job: each is one loopback segment sent to a peer. */
  writesPerJob: number | undefined;
  readsPerJob: number | undefined;
}

/** The cost of each named process; "broker" is djq's queue or the floor broker. */
export type SystemCost = { broker: ProcessCost } & Record<string, ProcessCost>;

interface Reading {
  cpu: { user: number; system: number } | undefined;
  syscalls: { writes: number; reads: number } | undefined;
}

const read = (pid: number): Reading => ({ cpu: cpuTimesMs(pid), syscalls: syscallCounts(pid) });

function perJob(before: number | undefined, after: number | undefined, jobs: number, scale: number): number | undefined {
  return before === undefined || after === undefined ? undefined : ((after - before) * scale) / jobs;
}

/** Starts counting now; the function returned reads every process again and divides by `jobs`. */
export function countCost(pids: { broker: number } & Record<string, number>): (jobs: number) => SystemCost {
  const before = Object.entries(pids).map(([name, pid]) => ({ name, pid, reading: read(pid) }));
  return (jobs) => {
    const costs: Record<string, ProcessCost> = {};
    for (const { name, pid, reading } of before) {
      const after = read(pid);
      const user = perJob(reading.cpu?.user, after.cpu?.user, jobs, 1000);
      const system = perJob(reading.cpu?.system, after.cpu?.system, jobs, 1000);
      costs[name] = {
        cpuUsPerJob: user === undefined || system === undefined ? undefined : user + system,
        userUsPerJob: user,
        systemUsPerJob: system,
        writesPerJob: perJob(reading.syscalls?.writes, after.syscalls?.writes, jobs, 1),
        readsPerJob: perJob(reading.syscalls?.reads, after.syscalls?.reads, jobs, 1),
      };
    }
    return costs as SystemCost;
  };
}

/** "broker 82 µs (u 50 + s 32), 3.40 writes; producer …" for a progress line. */
export function describeCost(costs: SystemCost): string {
  const us = (value: number | undefined) => (value === undefined ? "?" : value.toFixed(0));
  return Object.entries(costs)
    .map(([name, c]) => `${name} ${us(c.cpuUsPerJob)} µs (u ${us(c.userUsPerJob)} + s ${us(c.systemUsPerJob)}), ${c.writesPerJob?.toFixed(2) ?? "?"} writes`)
    .join("; ");
}

/** Every process of a system: the broker, the producer and each worker, by name. */
export function systemPids(broker: number, producer: number, workers: readonly { pid: number }[]): { broker: number } & Record<string, number> {
  const pids: { broker: number } & Record<string, number> = { broker, producer };
  workers.forEach((worker, index) => (pids[`worker ${index}`] = worker.pid));
  return pids;
}
