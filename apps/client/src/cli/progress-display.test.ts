import { describe, expect, it } from "vitest";
import { ProgressDisplay, progressBar, progressLine } from "./progress-display.js";

describe("progress lines", () => {
  it("read done/total, failures, rate and ETA", () => {
    const line = progressLine({ total: 20, done: 12, failed: 0, cancelled: 0 }, 1_480);
    expect(line).toBe("progress 12/20 done, 0 failed, 8.1 jobs/s, eta 1s");
  });

  it("mention cancellations only when there are some", () => {
    const line = progressLine({ total: 4, done: 4, failed: 1, cancelled: 2 }, 2_000);
    expect(line).toBe("progress 4/4 done, 1 failed, 2 cancelled, 2.0 jobs/s, eta 0s");
  });

  it("show an unknown ETA before anything settled", () => {
    expect(progressLine({ total: 3, done: 0, failed: 0, cancelled: 0 }, 500)).toBe("progress 0/3 done, 0 failed, 0.0 jobs/s, eta ?");
  });

  it("fill the bar in proportion to the jobs done", () => {
    const bar = progressBar({ total: 10, done: 5, failed: 0, cancelled: 0 }, 60_000, 10);
    expect(bar).toBe("[#####.....] 5/10 done  0 failed  0.1 jobs/s  eta 1m00s");
  });
});

describe("ProgressDisplay", () => {
  it("redraws the bar in place on a terminal and ends its line when stopped", () => {
    let written = "";
    let now = 0;
    const display = new ProgressDisplay({ write: (text) => void (written += text), isTTY: true, now: () => now }, 2);
    display.start();
    now = 1_000;
    display.record("completed");
    display.record("failed");
    display.stop();
    const frames = written.split("\r").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatch(/^\[#+\] 2\/2 done {2}1 failed {2}2\.0 jobs\/s {2}eta 0s\x1b\[K\n$/);
  });

  it("writes plain lines when not on a terminal", () => {
    let written = "";
    const display = new ProgressDisplay({ write: (text) => void (written += text), isTTY: false, now: () => 0 }, 1);
    display.start();
    display.record("completed");
    display.stop();
    expect(written).toBe("progress 0/1 done, 0 failed, 0.0 jobs/s, eta ?\nprogress 1/1 done, 0 failed, 0.0 jobs/s, eta 0s\n");
  });

  it("shows the last progress a running job reported until that job settles", () => {
    let written = "";
    const display = new ProgressDisplay({ write: (text) => void (written += text), isTTY: false, now: () => 0 }, 2);
    display.progress({ jobId: 3, percent: 40, message: "resizing" });
    display.start();
    display.progress({ jobId: 3, percent: 62.5 });
    display.record("completed", 4);
    display.stop();
    display.record("completed", 3);
    display.stop();
    expect(written.split("\n").filter(Boolean)).toEqual([
      "progress 0/2 done, 0 failed, 0.0 jobs/s, eta ?, job 3 40% resizing",
      "progress 1/2 done, 0 failed, 0.0 jobs/s, eta ?, job 3 62.5%",
      "progress 2/2 done, 0 failed, 0.0 jobs/s, eta 0s",
    ]);
  });
});
