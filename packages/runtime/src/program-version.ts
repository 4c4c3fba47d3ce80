// Every program answers --version with its own package's version, read from the package.json
// beside its dist/ so the number shown is the one installed, never a copy that could drift.
import { readFileSync } from "node:fs";

/** The version in the package.json one folder above `moduleUrl`'s folder (dist/x.js → package.json). */
export function packageVersion(moduleUrl: string | URL): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", moduleUrl), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`no version in the package.json beside ${String(moduleUrl)}`);
  return manifest.version;
}
