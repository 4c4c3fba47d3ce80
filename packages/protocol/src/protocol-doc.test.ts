// docs/protocol.md is the wire contract: every JSON example in it must be a message the schemas
// accept, so the document cannot drift from the code. Examples in transcripts (`> ` sent to the
// queue, `< ` sent by it) are checked in their direction; the others as a request if their type
// is one, and as a message from the queue otherwise.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { clientRequestTypes, parseRequest, workerRequestTypes } from "./requests.js";
import { parseServerMessage } from "./server-messages.js";

const docPath = fileURLToPath(new URL("../../../docs/protocol.md", import.meta.url));

interface Example {
  line: number;
  text: string;
  direction: "request" | "server" | "either";
}

function examplesIn(markdown: string): Example[] {
  const examples: Example[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith("```")) {
      fence = fence === undefined ? line.slice(3) : undefined;
      return;
    }
    if (fence === undefined) return;
    if (fence === "json" && line.startsWith("{")) examples.push({ line: index + 1, text: line, direction: "either" });
    else if (line.startsWith("> {")) examples.push({ line: index + 1, text: line.slice(2), direction: "request" });
    else if (line.startsWith("< {")) examples.push({ line: index + 1, text: line.slice(2), direction: "server" });
  });
  return examples;
}

const requestTypes = new Set([...clientRequestTypes, ...workerRequestTypes, "hello", "heartbeat"]);

function problemWith(example: Example): string | undefined {
  const type = (JSON.parse(example.text) as { type?: unknown }).type;
  const asRequest = example.direction === "request" || (example.direction === "either" && requestTypes.has(type as string));
  if (asRequest) {
    const parsed = parseRequest(example.text);
    if (parsed.ok || (example.direction === "either" && parseServerMessage(example.text).ok)) return undefined;
    return `line ${example.line}: ${parsed.message}`;
  }
  const parsed = parseServerMessage(example.text);
  return parsed.ok ? undefined : `line ${example.line}: ${parsed.message}`;
}

describe("docs/protocol.md", () => {
  const examples = examplesIn(readFileSync(docPath, "utf8"));

  it("has an example of every message, in both directions", () => {
    expect(examples.length).toBeGreaterThan(40);
    expect(examples.some((e) => e.direction === "request")).toBe(true);
    expect(examples.some((e) => e.direction === "server")).toBe(true);
  });

  it("shows only messages the protocol's schemas accept", () => {
    expect(examples.map(problemWith).filter((problem) => problem !== undefined)).toEqual([]);
  });

  it("would catch an example the schemas refuse", () => {
    expect(problemWith({ line: 1, text: '{"id":1,"type":"submit","jobs":[]}', direction: "request" })).toMatch(/line 1/);
    expect(problemWith({ line: 2, text: '{"type":"settled","jobs":[{"jobId":1,"state":"running"}]}', direction: "server" })).toMatch(/line 2/);
  });
});
