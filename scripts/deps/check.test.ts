/**
 * The dependency check on the real tree, and on copies of it with one forbidden import
 * added: `npm run check` (which runs scripts/deps/check.ts) must then fail, naming it.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkRepository, cycles, importsOf, sourceFiles } from "./check.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHECK = join(ROOT, "scripts/deps/check.ts");
const copies: string[] = [];
afterAll(() => {
  for (const d of copies) rmSync(d, { recursive: true, force: true });
});

/** The repository's sources (what the check reads) in a temporary folder. */
function copyOfTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "l3c-deps-"));
  copies.push(dir);
  for (const f of sourceFiles(ROOT)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

describe("dependency rules (scripts/deps/rules.ts)", () => {
  it("hold for this repository", () => {
    expect(checkRepository(ROOT)).toEqual([]);
  });

  it("are part of npm run check", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.check).toContain("npm run check:deps");
    expect(pkg.scripts["check:deps"]).toBe("tsx scripts/deps/check.ts");
  });

  it.each([
    [
      "shared/ imports a tier",
      "shared/format.ts",
      'import "../edge/src/app.js";',
      "shared/format.ts imports ../edge/src/app.js (edge/): shared/ may import only shared/",
    ],
    [
      "shared/ imports a runtime",
      "shared/crc32.ts",
      'import "node:fs";',
      "shared/crc32.ts imports node:fs: shared/ imports no package or runtime (it is handed its runtime)",
    ],
    [
      "the hooks import the backend",
      "hooks/src/core.ts",
      'import "../../gpu-backend/src/app.js";',
      "hooks/src/core.ts imports ../../gpu-backend/src/app.js (gpu-backend/): hooks/ may import only shared/, hooks/",
    ],
    [
      "the edge imports the Node codec",
      "edge/src/app.ts",
      'import "../../node-codec/src/codec.js";',
      "edge/src/app.ts imports ../../node-codec/src/codec.js (node-codec/): edge/ may import only shared/, edge/",
    ],
    [
      "the edge imports a Node built-in",
      "edge/src/keys.ts",
      'import "node:crypto";',
      "edge/src/keys.ts imports node:crypto: edge/ runs in workerd and browsers: no node: built-ins",
    ],
    [
      "the browser decoder imports the edge",
      "web/src/index.ts",
      'import "../../edge/src/variants.js";',
      "web/src/index.ts imports ../../edge/src/variants.js (edge/): web/ may import only shared/, web/",
    ],
    [
      "a cross-tier test imports the edge",
      "test/harness/edge.ts",
      'import "../../edge/src/app.js";',
      "test/harness/edge.ts imports ../../edge/src/app.js (edge/): test/ may import only",
    ],
    [
      "production code imports test code",
      "node-codec/src/codec.ts",
      'import "../../test/helpers/left-model.js";',
      "node-codec/src/codec.ts imports ../../test/helpers/left-model.js (test/helpers/): node-codec/ may import only shared/, node-codec/",
    ],
  ])("fail npm run check when %s", (_, file, line, message) => {
    const dir = copyOfTree();
    expect(checkRepository(dir)).toEqual([]);
    appendFileSync(join(dir, file), `\n${line}\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", CHECK, "--root", dir], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`check-deps: ${message}`);
  });

  it("find run-time import cycles, not type-only ones", () => {
    const dir = copyOfTree();
    writeFileSync(join(dir, "node-codec/src/a.ts"), 'import { b } from "./b.js";\nexport const a = b;\n');
    writeFileSync(
      join(dir, "node-codec/src/b.ts"),
      'import type { a } from "./a.js";\nexport const b = 1;\n',
    );
    expect(checkRepository(dir)).toEqual([]);
    writeFileSync(join(dir, "node-codec/src/b.ts"), 'import { a } from "./a.js";\nexport const b = a;\n');
    expect(checkRepository(dir)).toEqual([
      "import cycle: node-codec/src/a.ts -> node-codec/src/b.ts -> node-codec/src/a.ts",
    ]);
  });

  it("read static, re-exported, dynamic and type imports", () => {
    const code = [
      'import a from "./a.js";',
      'import type { B } from "./b.js";',
      'import { type C } from "./c.js";',
      'export { d } from "./d.js";',
      'const e = await import("./e.js");',
      'type F = typeof import("./f.js");',
    ].join("\n");
    expect(importsOf(code, "x.ts")).toEqual([
      { specifier: "./a.js", typeOnly: false },
      { specifier: "./b.js", typeOnly: true },
      { specifier: "./c.js", typeOnly: true },
      { specifier: "./d.js", typeOnly: false },
      { specifier: "./e.js", typeOnly: false },
      { specifier: "./f.js", typeOnly: true },
    ]);
    expect(cycles(new Map())).toEqual([]);
  });
});
