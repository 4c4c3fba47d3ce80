// What the numbers were measured on: they mean little without it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryGiB: number;
  /** 1-minute load average when the bench started and ended: other work on the machine skews everything. */
  loadAverage: { atStart: number; atEnd?: number };
  /**
   * How an idle CPU waits, where Linux says: the cpuidle driver and, in a KVM guest, how long an
   * idle vCPU polls before it halts. A halted vCPU costs the host a VM exit and entry on every
   * wake-up, and the one-job path wakes idle CPUs several times a job: on one machine, letting
   * them poll 200 µs raised B by a third, djq's and the floor's alike (docs/benchmarks.md).
   */
  idleCpus?: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: { atStart: loadAverage() },
    idleCpus: describeIdleCpus(),
  };
}

function describeIdleCpus(): string | undefined {
  const driver = readSetting("/sys/devices/system/cpu/cpuidle/current_driver");
  if (driver === undefined) return undefined;
  const pollNs = readSetting("/sys/module/haltpoll/parameters/guest_halt_poll_ns");
  return pollNs === undefined ? `cpuidle ${driver}` : `cpuidle ${driver}, guest halt polling ${Number(pollNs).toLocaleString("en-US")} ns`;
}

function readSetting(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

/** The commit measured, and whether the working tree differed from it (read-only git calls). */
export function describeSource(cwd: string): { commit: string; dirty: boolean } | undefined {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return { commit: git("rev-parse", "--short", "HEAD"), dirty: git("status", "--porcelain", "--untracked-files=no") !== "" };
  } catch {
    return undefined;
  }
}
