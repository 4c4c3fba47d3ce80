// The seeded chaos schedule: every so often pick a healthy worker and kill, freeze or partition
// it, and undo that a little later. It stops by itself after its time or its action budget, and
// always leaves every worker up, thawed and connected when it returns.
import type { SeededRandom } from "./seeded-random.js";
import type { WorkerFleet, WorkerSlot } from "./worker-fleet.js";

export const chaosActionKinds = ["kill", "freeze", "partition"] as const;
export type ChaosActionKind = (typeof chaosActionKinds)[number];

export interface ChaosAction {
  kind: ChaosActionKind;
  /** The worker id at the moment of the action. */
  workerId: string;
  slot: number;
  /** Epoch ms just before the signal was sent or the relay cut. */
  at: number;
  /** How long the freeze or partition lasted, or how long the killed worker stayed down. */
  forMs: number;
  /** A killed worker came back under this id. */
  restartedAs?: string;
}

export interface ChaosLoopOptions {
  fleet: WorkerFleet;
  random: SeededRandom;
  durationMs: number;
  maxActions: number;
  /** At most this many workers are down, frozen or partitioned at once. */
  maxImpaired: number;
  /** Pause between actions, drawn from [min, max]. */
  gapMs: [number, number];
  /** How long a freeze or partition lasts, drawn from [min, max]. */
  impairMs: [number, number];
  /** How long a killed worker stays down before it is restarted, drawn from [min, max]. */
  downMs: [number, number];
  /** Stops the loop early (on an error elsewhere). */
  signal?: AbortSignal;
  onAction?: (action: ChaosAction) => void;
}

export async function runChaosLoop(options: ChaosLoopOptions): Promise<ChaosAction[]> {
  const { fleet, random } = options;
  const actions: ChaosAction[] = [];
  const undoing = new Set<Promise<void>>();
  // The first three actions are one of each kind, so even a short run exercises all of them.
  const firstKinds = random.shuffle(chaosActionKinds);
  const endAt = Date.now() + options.durationMs;
  try {
    while (actions.length < options.maxActions && !options.signal?.aborted) {
      const gapMs = random.int(...options.gapMs);
      if (Date.now() + gapMs >= endAt) break;
      await delay(gapMs, options.signal);
      // Draw every number for this step whether or not it is used, so a replay stays in step.
      const kindDraw = random.pick(chaosActionKinds);
      const slotDraw = random.next();
      const impairMs = random.int(...options.impairMs);
      const downMs = random.int(...options.downMs);
      const newId = random.chance(0.5);
      const healthy = fleet.slots.filter((slot) => slot.state === "up");
      if (healthy.length === 0 || fleet.impaired >= options.maxImpaired || options.signal?.aborted) continue;
      const kind = firstKinds[actions.length] ?? kindDraw;
      const slot = healthy[Math.floor(slotDraw * healthy.length)] as WorkerSlot;
      const action: ChaosAction = { kind, workerId: slot.workerId, slot: slot.index, at: Date.now(), forMs: kind === "kill" ? downMs : impairMs };
      actions.push(action);
      const undo = perform(fleet, slot, action, newId, options.signal).finally(() => undoing.delete(undo));
      undoing.add(undo);
      options.onAction?.(action);
    }
  } finally {
    await Promise.allSettled([...undoing]);
  }
  await fleet.restoreAll();
  return actions;
}

/** Does the action now and resolves once it has been undone. */
async function perform(fleet: WorkerFleet, slot: WorkerSlot, action: ChaosAction, newId: boolean, signal: AbortSignal | undefined): Promise<void> {
  switch (action.kind) {
    case "kill":
      fleet.kill(slot);
      await delay(action.forMs, signal);
      await fleet.restart(slot, newId);
      action.restartedAs = slot.workerId;
      return;
    case "freeze":
      fleet.freeze(slot);
      await delay(action.forMs, signal);
      fleet.thaw(slot);
      return;
    case "partition":
      fleet.partition(slot);
      await delay(action.forMs, signal);
      fleet.heal(slot);
      return;
  }
}

/** Resolves after `ms`, or at once when the signal aborts (never rejects: undo must still run). */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
