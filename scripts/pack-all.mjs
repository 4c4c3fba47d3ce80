// Packs djq for installing outside this repository, into the folder given (default packed/): the
// three libraries as pnpm packs them, and the three programs (@djq/client, @djq/worker,
// @djq/queue) each carrying the @djq libraries it needs as bundled dependencies, since those are on
// no registry. So `npm install --global djq-client-0.1.0.tgz` alone gives a working `djq`; only
// zod and async-mutex come from the registry. Run `pnpm build` first (`pnpm pack:all` does).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const destination = resolve(process.argv[2] ?? join(root, "packed"));
const libraries = ["protocol", "core", "runtime"];
const programs = ["client", "worker", "queue"];
const folderOf = (name) => join(root, libraries.includes(name) ? "packages" : "apps", name);
const tarballOf = (name) => `djq-${name}-${readJson(join(folderOf(name), "package.json")).version}.tgz`;

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

/** Unpacks a tarball's `package/` folder into `into`. */
function unpack(tarball, into) {
  mkdirSync(into, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", into, "--strip-components=1"], root);
}

/** The @djq packages a package depends on, directly or through one another. */
function djqDependencies(manifest, plain) {
  const found = new Set();
  const visit = (dependencies = {}) => {
    for (const name of Object.keys(dependencies)) {
      if (!name.startsWith("@djq/") || found.has(name)) continue;
      found.add(name);
      visit(readJson(join(plain, name.slice("@djq/".length), "package.json")).dependencies);
    }
  };
  visit(manifest.dependencies);
  return [...found].sort();
}

/**
 * npm counts every dependency of a bundled package as part of the bundle and expects it inside the
 * tarball (it installs an empty folder otherwise). So the program itself declares what its bundled
 * libraries need from the registry (zod), and their copies declare only one another.
 */
function moveRegistryDependencies(bundledManifestFile, manifest) {
  const bundled = readJson(bundledManifestFile);
  for (const [name, range] of Object.entries(bundled.dependencies ?? {})) {
    if (name.startsWith("@djq/")) continue;
    const declared = manifest.dependencies[name];
    if (declared !== undefined && declared !== range) throw new Error(`${bundled.name} needs ${name}@${range}, ${manifest.name} ${declared}`);
    manifest.dependencies[name] = range;
    delete bundled.dependencies[name];
  }
  writeFileSync(bundledManifestFile, `${JSON.stringify(bundled, null, 2)}\n`);
}

const staging = mkdtempSync(join(tmpdir(), "djq-pack-"));
try {
  mkdirSync(destination, { recursive: true });
  // pnpm packs each package's own files and writes real versions for workspace: and catalog:.
  const plainTarballs = join(staging, "plain");
  for (const name of [...libraries, ...programs]) run("pnpm", ["pack", "--pack-destination", plainTarballs], folderOf(name));
  const plain = join(staging, "unpacked");
  for (const name of libraries) {
    unpack(join(plainTarballs, tarballOf(name)), join(plain, name));
    copyFileSync(join(plainTarballs, tarballOf(name)), join(destination, tarballOf(name)));
  }
  for (const name of programs) {
    const folder = join(staging, name);
    unpack(join(plainTarballs, tarballOf(name)), folder);
    const manifest = readJson(join(folder, "package.json"));
    manifest.bundleDependencies = djqDependencies(manifest, plain);
    for (const dependency of manifest.bundleDependencies) {
      const bundled = join(folder, "node_modules", dependency);
      unpack(join(plainTarballs, tarballOf(dependency.slice("@djq/".length))), bundled);
      moveRegistryDependencies(join(bundled, "package.json"), manifest);
    }
    writeFileSync(join(folder, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    run("npm", ["pack", "--silent", "--pack-destination", destination], folder);
  }
  console.log(`packed into ${destination}: ${[...libraries, ...programs].map(tarballOf).join(" ")}`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
