import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture(options: Parameters<typeof createLogger>[0] extends infer O ? Omit<O & object, "write"> : never) {
  const lines: string[] = [];
  const log = createLogger({ ...options, write: (line) => lines.push(line) });
  return { log, lines };
}

describe("createLogger", () => {
  it("writes one key=value line per event, quoting values with spaces", () => {
    const { log, lines } = capture({ program: "queue" });
    log.info("job.assigned", { job: 7, worker: "w 1", skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z queue info  job\.assigned job=7 worker="w 1"\n$/);
  });

  it("writes JSON lines with the event and its fields", () => {
    const { log, lines } = capture({ program: "worker", format: "json" });
    log.warn("report.refused", { job: 3, code: "stale-lease" });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "warn", program: "worker", event: "report.refused", job: 3, code: "stale-lease" });
  });

  it("writes a list as an array in JSON lines and comma-separated in text", () => {
    const json = capture({ program: "worker", format: "json" });
    json.log.info("hello", { queues: ["a", "b"], jobIds: [1, 2] });
    expect(JSON.parse(json.lines[0] as string)).toMatchObject({ queues: ["a", "b"], jobIds: [1, 2] });
    const text = capture({ program: "worker" });
    text.log.info("hello", { queues: ["a", "b"] });
    expect(text.lines[0]).toMatch(/ hello queues=a,b\n$/);
  });

  it("drops events below its level", () => {
    const { log, lines } = capture({ program: "queue", level: "warn" });
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    expect(lines.map((l) => l.trim().split(/\s+/).at(-1))).toEqual(["c", "d"]);
    expect(log.enabled("info")).toBe(false);
    expect(log.enabled("error")).toBe(true);
  });
});
