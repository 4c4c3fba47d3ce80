// The core's purity is checked, not claimed: no source file under src (tests aside) may read the
// clock or randomness, start a timer, touch the process or import a Node module.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const forbidden: [RegExp, string][] = [
  [/\bDate\b/, "Date"],
  [/\bMath\.random\b/, "Math.random"],
  [/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\b/, "a timer"],
  [/\bprocess\b/, "process"],
  [/\bBuffer\b/, "Buffer"],
  [/from\s+["']node:|import\(\s*["']node:|require\(/, "a node: import"],
];

/** The code with comments and string contents blanked, so prose may name what code may not use. */
function codeOf(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .replace(/`(?:\\.|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, (literal) => (literal.startsWith('"node:') ? literal : '""'));
}

export function impurities(text: string): string[] {
  const code = codeOf(text);
  return forbidden.filter(([pattern]) => pattern.test(code)).map(([, name]) => name);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

describe("the core's purity", () => {
  it("uses no clock, randomness, timer, process, Buffer or node: import in any source file", () => {
    const files = sourceFiles(sourceDir);
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) => impurities(readFileSync(file, "utf8")).map((what) => `${path.basename(file)}: ${what}`));
    expect(found).toEqual([]);
  });

  it("catches each forbidden use, and lets comments name them", () => {
    expect(impurities("const at = Date.now();")).toEqual(["Date"]);
    expect(impurities("const r = Math.random();")).toEqual(["Math.random"]);
    expect(impurities("setTimeout(() => {}, 1);")).toEqual(["a timer"]);
    expect(impurities("if (process.env.X) {}")).toEqual(["process"]);
    expect(impurities("Buffer.byteLength(s);")).toEqual(["Buffer"]);
    expect(impurities('import net from "node:net";')).toEqual(["a node: import"]);
    expect(impurities("// no Date, no process.env, no setTimeout\nconst x = 1; /* Math.random */")).toEqual([]);
  });
});
