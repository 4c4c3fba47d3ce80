import type { RecentEvent } from "@djq/protocol";
import { describe, expect, it } from "vitest";
import { RecentEventFeed } from "./recent-events.js";

const event = (at: number, jobId: number, reason = "boom"): RecentEvent => ({ at, kind: "failed", jobId, reason });
const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((n) => event(n, n)) as [RecentEvent, RecentEvent, RecentEvent, RecentEvent, RecentEvent];

describe("the recent event feed", () => {
  it("hands out every event of the first window", () => {
    expect(new RecentEventFeed().take({ queueRunId: "r", recent: [a, b] })).toEqual([a, b]);
  });

  it("hands out nothing when the window has not moved", () => {
    const feed = new RecentEventFeed();
    feed.take({ queueRunId: "r", recent: [a, b] });
    expect(feed.take({ queueRunId: "r", recent: [a, b] })).toEqual([]);
  });

  it("hands out only what was appended, also after the oldest events fell out", () => {
    const feed = new RecentEventFeed();
    feed.take({ queueRunId: "r", recent: [a, b, c] });
    expect(feed.take({ queueRunId: "r", recent: [a, b, c, d] })).toEqual([d]);
    expect(feed.take({ queueRunId: "r", recent: [c, d, e] })).toEqual([e]);
  });

  it("tells apart identical events that happened in the same millisecond", () => {
    const lost = { at: 7, kind: "worker-lost", workerId: "w-1", reason: "connection closed" } as const;
    const feed = new RecentEventFeed();
    feed.take({ queueRunId: "r", recent: [a, lost] });
    expect(feed.take({ queueRunId: "r", recent: [a, lost, lost] })).toEqual([lost]);
  });

  it("hands out the whole window when it moved on by more than its length", () => {
    const feed = new RecentEventFeed();
    feed.take({ queueRunId: "r", recent: [a, b] });
    expect(feed.take({ queueRunId: "r", recent: [c, d] })).toEqual([c, d]);
  });

  it("starts again when the queue restarted, even with look-alike events", () => {
    const feed = new RecentEventFeed();
    feed.take({ queueRunId: "r1", recent: [a, b] });
    expect(feed.take({ queueRunId: "r2", recent: [a] })).toEqual([a]);
  });
});
