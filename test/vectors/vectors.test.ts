import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWasmCore } from "../../node-codec/src/wasm-core-node.js";
import { tsCore } from "../../shared/entropy-core.js";
import { buildCases } from "./cases.js";
import { libraryDecoder, runAll, VECTORS_DIR } from "./runner.js";

describe("conformance vectors", () => {
  it.each(["ts", "wasm", "wasm-simd"] as const)(
    "every committed case passes with the %s entropy core",
    async (kind) => {
      const core = kind === "ts" ? tsCore : loadWasmCore(kind);
      const results = await runAll(libraryDecoder(kind), core);
      expect(results.length).toBeGreaterThanOrEqual(20);
      for (const r of results) expect(r, `${r.name}: ${r.message}`).toMatchObject({ ok: true });
    },
  );

  it("regenerating the cases would not change the committed golden files", async () => {
    const cases = await buildCases();
    for (const [name, c] of Object.entries(cases)) {
      const meta = JSON.parse(readFileSync(join(VECTORS_DIR, name, "case.json"), "utf8"));
      for (const [f, b] of Object.entries(c.files)) {
        // Model-coded streams depend on the float encoder's choice of z, which may differ
        // across CPUs; what must not change is that the committed stream decodes (above).
        if (meta.models && f === "stream.l3c") continue;
        expect(createHash("sha256").update(b).digest("hex"), `${name}/${f}`).toBe(meta.sha256[f]);
      }
      const { sha256: _, ...rest } = meta;
      expect(rest, name).toEqual(JSON.parse(JSON.stringify(c.meta)));
    }
  });
});
