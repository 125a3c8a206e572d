#!/usr/bin/env node
// Runs the Python tests (training/tests, test/spec-decoder) with the project's venv. The venv is made by
// `npm run setup`; without it this fails with instructions rather than skipping.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const py = "training/.venv/bin/python";
if (!existsSync(py)) {
  console.error("training/.venv is missing: run `npm run setup` (it installs training/requirements.txt)");
  process.exit(1);
}
const r = spawnSync(
  py,
  ["-m", "pytest", "-q", "training/tests", "test/spec-decoder", ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
