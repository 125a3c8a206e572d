/**
 * @module deps/rules
 * The architecture as data: which room of the repository may import which. A room is a
 * folder (the longest listed prefix of a file's path names it); `mayImport` lists the
 * rooms its files may import from, its own included. Dependencies point inward, to
 * `shared/` (the format); nothing imports `edge/` (it is bundled by path, never imported);
 * cross-tier tests and their harnesses live in `test/`. Checked by check.ts (`npm run
 * check`); the README's layout table says the same in words.
 */

export interface Room {
  /** Folder, relative to the repository root, with a trailing slash. */
  path: string;
  /** Rooms whose files this room's files may import (its own included). */
  mayImport: readonly string[];
  /**
   * What its production files (not tests, benches, build scripts) may import besides
   * relative paths: "any" (npm packages and Node built-ins), "no-node" (npm packages but no
   * `node:` built-ins: code that runs in workerd and browsers) or "none" (nothing: the
   * format, which runs everywhere and is handed its runtime).
   */
  packages: "any" | "no-node" | "none";
  /** Files (repository paths) its tests may import beyond the rules, each with its reason. */
  testsMayImport?: readonly string[];
}

const ALL_BUT_EDGE = [
  "shared/",
  "node-codec/",
  "cli/",
  "gpu-backend/",
  "hooks/",
  "web/",
  "infra/",
  "test/helpers/",
];

export const ROOMS: readonly Room[] = [
  // Its tests run the wasm entropy core under Node, which loads it from disk.
  {
    path: "shared/",
    mayImport: ["shared/"],
    packages: "none",
    testsMayImport: ["node-codec/src/wasm-core-node.ts"],
  },
  { path: "node-codec/", mayImport: ["shared/", "node-codec/"], packages: "any" },
  { path: "cli/", mayImport: ["shared/", "node-codec/", "hooks/", "cli/"], packages: "any" },
  { path: "gpu-backend/", mayImport: ["shared/", "node-codec/", "gpu-backend/"], packages: "any" },
  { path: "hooks/", mayImport: ["shared/", "hooks/"], packages: "any" },
  { path: "edge/", mayImport: ["shared/", "edge/"], packages: "no-node" },
  { path: "web/", mayImport: ["shared/", "web/"], packages: "no-node" },
  { path: "infra/", mayImport: ["infra/"], packages: "any" },
  { path: "bin/", mayImport: ["cli/"], packages: "any" },
  { path: "scripts/", mayImport: ["scripts/"], packages: "any" },
  // Test utilities any test may use: pure, on top of shared/ only.
  { path: "test/helpers/", mayImport: ["shared/", "test/helpers/"], packages: "any" },
  // Cross-tier tests, harnesses, benches and vectors: every tier but the edge (bundled by path).
  { path: "test/", mayImport: [...ALL_BUT_EDGE, "test/"], packages: "any" },
];

/**
 * Tests, benches and build scripts: they may also import test/helpers/ and any package
 * (vitest, fast-check, Node built-ins), but no other room than their own room's rules allow.
 */
export function isTooling(path: string): boolean {
  return (
    /\.(test|bench)\.ts$/.test(path) ||
    /(^|\/)(bench|tools)\//.test(path) ||
    path === "shared/wasm/build.ts" ||
    path === "web/build.ts"
  );
}

/** The room of a repository-relative path (undefined: outside every room, e.g. models/). */
export function roomOf(path: string): Room | undefined {
  let best: Room | undefined;
  for (const r of ROOMS) if (path.startsWith(r.path) && (!best || r.path.length > best.path.length)) best = r;
  return best;
}
