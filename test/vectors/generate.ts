/**
 * Write the golden conformance vectors. Refuses to touch existing files unless
 * `--regenerate` is given (golden files change only on purpose).
 *   npm run vectors -- --regenerate
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCases } from "./cases.js";
import { VECTORS_DIR } from "./runner.js";

const regenerate = process.argv.includes("--regenerate");
const cases = await buildCases();
for (const [name, c] of Object.entries(cases)) {
  const dir = join(VECTORS_DIR, name);
  if (existsSync(join(dir, "case.json")) && !regenerate) {
    console.error(`${name}: exists (pass --regenerate to overwrite golden files)`);
    process.exitCode = 1;
    continue;
  }
  mkdirSync(dir, { recursive: true });
  const sha256: Record<string, string> = {};
  for (const [f, b] of Object.entries(c.files)) {
    writeFileSync(join(dir, f), b);
    sha256[f] = createHash("sha256").update(b).digest("hex");
  }
  writeFileSync(join(dir, "case.json"), `${JSON.stringify({ ...c.meta, sha256 }, null, 1)}\n`);
  console.log(`wrote ${name}`);
}
