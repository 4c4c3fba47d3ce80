// The worker processes of a chaos run, each behind its own PartitionRelay, and the three things
// chaos does to them: kill (and restart), freeze (SIGSTOP/SIGCONT), partition (and heal). It keeps
// every process it ever started so their logs can be read afterwards. It chooses nothing itself.
import { startWorker, type Program } from "../harness/processes.js";
import { PartitionRelay } from "../harness/relay.js";

export type SlotState = "up" | "down" | "frozen" | "partitioned";

export interface WorkerSlot {
  readonly index: number;
  readonly relay: PartitionRelay & { port: number };
  workerId: string;
  program: Program;
  state: SlotState;
  restarts: number;
}

export interface FleetOptions {
  queuePort: number;
  count: number;
  concurrency: number;
  /** How long a (re)started worker may take to be welcomed by the queue. */
  readyTimeoutMs?: number;
}

export class WorkerFleet {
  /** Every worker process started, restarted ones included, in start order. */
  readonly programs: Program[] = [];
  private closed = false;

  private constructor(
    readonly slots: WorkerSlot[],
    private readonly options: FleetOptions,
  ) {}

  static async start(options: FleetOptions): Promise<WorkerFleet> {
    const fleet = new WorkerFleet([], options);
    try {
      for (let index = 0; index < options.count; index += 1) {
        const relay = await PartitionRelay.start(options.queuePort);
        const workerId = `chaos-w${index}`;
        const slot: WorkerSlot = { index, relay, workerId, program: undefined as unknown as Program, state: "up", restarts: 0 };
        fleet.slots.push(slot);
        slot.program = await fleet.spawn(slot);
      }
      await Promise.all(fleet.slots.map((slot) => fleet.ready(slot.program)));
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  get impaired(): number {
    return this.slots.filter((slot) => slot.state !== "up").length;
  }

  /** SIGKILL: no goodbye, no withdraw, the socket closes when the kernel reaps the process. */
  kill(slot: WorkerSlot): void {
    slot.state = "down";
    slot.program.kill("SIGKILL");
  }

  /** A fresh process in the slot, with the old worker id or a new one. */
  async restart(slot: WorkerSlot, newId: boolean): Promise<void> {
    await slot.program.exited;
    if (this.closed) return;
    slot.restarts += 1;
    if (newId) slot.workerId = `chaos-w${slot.index}-r${slot.restarts}`;
    slot.program = await this.spawn(slot);
    slot.state = "up";
  }

  freeze(slot: WorkerSlot): void {
    slot.state = "frozen";
    slot.program.kill("SIGSTOP");
  }

  thaw(slot: WorkerSlot): void {
    slot.program.kill("SIGCONT");
    slot.state = "up";
  }

  partition(slot: WorkerSlot): void {
    slot.state = "partitioned";
    slot.relay.partition();
  }

  heal(slot: WorkerSlot): void {
    slot.relay.heal();
    slot.state = "up";
  }

  /** Undoes whatever is still in force: heal, thaw, and restart what is down. */
  async restoreAll(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.state === "partitioned") this.heal(slot);
        else if (slot.state === "frozen") this.thaw(slot);
        else if (slot.state === "down") await this.restart(slot, false);
      }),
    );
  }

  /** Kills every process and closes every relay; safe to call twice and after an error. */
  async close(): Promise<void> {
    this.closed = true;
    for (const program of this.programs) {
      program.child.kill("SIGCONT");
      program.child.kill("SIGKILL");
    }
    await Promise.all(this.programs.map((program) => program.exited));
    await Promise.all(this.slots.map((slot) => slot.relay.close()));
  }

  /** Resolves once the worker has been welcomed by the queue. */
  ready(program: Program): Promise<unknown> {
    return program.waitForEvent("welcome", {}, this.options.readyTimeoutMs ?? 15_000);
  }

  private async spawn(slot: WorkerSlot): Promise<Program> {
    const program = await startWorker(slot.relay.port, [
      "--worker-id", slot.workerId,
      "--concurrency", String(this.options.concurrency),
      // The checker counts the completions each worker was told were accepted (`report.acked`, debug).
      "--log-level", "debug",
      "--grace-ms", "2000",
    ]);
    this.programs.push(program);
    return program;
  }
}
