#!/usr/bin/env node
// Builds the S3 server the tests run against: versitygw (Apache-2.0), from the Go module
// proxy, into .tools/bin (gitignored). Cached: a binary whose stamp names this version is
// kept, so `npm run setup` builds it once per checkout (a few minutes on two cores; Go's
// build cache makes a second checkout on the same machine fast).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const VERSITYGW_MODULE = "github.com/versity/versitygw/cmd/versitygw";
export const VERSITYGW_VERSION = "v1.8.0";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, ".tools/bin");
const exe = join(bin, "versitygw");
const stamp = join(root, ".tools/versitygw.version");

if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === VERSITYGW_VERSION) {
  console.log(`versitygw ${VERSITYGW_VERSION}: cached in .tools/bin`);
  process.exit(0);
}
if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) {
  console.error("setup: `go` is missing: Go >= 1.25 builds the test S3 server (versitygw); see README.md");
  process.exit(1);
}
mkdirSync(bin, { recursive: true });
console.log(`building versitygw ${VERSITYGW_VERSION} (go install, a few minutes)...`);
const r = spawnSync("go", ["install", `${VERSITYGW_MODULE}@${VERSITYGW_VERSION}`], {
  stdio: "inherit",
  env: { ...process.env, GOBIN: bin, CGO_ENABLED: "0" },
});
if (r.status !== 0) {
  console.error(`setup: go install ${VERSITYGW_MODULE}@${VERSITYGW_VERSION} failed`);
  process.exit(1);
}
writeFileSync(stamp, `${VERSITYGW_VERSION}\n`);
console.log(`versitygw ${VERSITYGW_VERSION}: built into .tools/bin`);
