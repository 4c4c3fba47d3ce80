import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LoopSlack } from "./loop-slack.js";

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the loop's slack", () => {
  it("has room to block after the loop idled, and none after it was kept busy", async () => {
    const slack = new LoopSlack();
    slack.roomToBlock();
    await sleep(30);
    expect(slack.roomToBlock()).toBe(true);
    for (let turn = 0; turn < 3; turn += 1) {
      spin(15);
      await nextTurn();
    }
    expect(slack.roomToBlock()).toBe(false);
  });

  it("does not count the loop's own blocking writes as load", async () => {
    const slack = new LoopSlack();
    await sleep(10);
    slack.roomToBlock();
    await sleep(10);
    spin(30);
    slack.blocked(30);
    await nextTurn();
    expect(slack.roomToBlock()).toBe(true);
  });
});
