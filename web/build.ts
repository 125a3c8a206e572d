/**
 * @module build
 * `npm run build:web`: lays out what the edge serves under `/_l3c/` (wrangler.toml
 * `[assets]`, directory web/dist):
 *
 * ```
 * _l3c/l3c.js                      the ES module (index.ts), registers <l3c-img>
 * _l3c/l3c-worker.js               the decode worker, onnxruntime-web (wasm) bundled in
 * _l3c/l3c-worker-webgpu.js        the one for WebGPU, onnxruntime-web (JSPI) bundled in
 * _l3c/ort/ort-wasm-simd-threaded.wasm        their runtimes (15 MB; 18 MB, fetched
 * _l3c/ort/ort-wasm-simd-threaded.jspi.wasm   only by pages that decode on WebGPU)
 * _l3c/core/l3c-core{-simd,}.wasm  the entropy core
 * _l3c/models/<id>/manifest.json   each model's manifest (id = its SHA-256) and its
 * _l3c/models/<id>/<graph>.onnx    decoder graphs (the encoder stays on the backend), and
 *                                  forms.json + the float-exact forms it lists (run here)
 * _l3c/demo.html, _l3c/demo.js     the demo page the edge serves at GET /
 * ```
 */

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { parseForms } from "../shared/graph-forms.js";

const ROOT = resolve(new URL("..", import.meta.url).pathname);

export interface WebBuildOptions {
  /** Output folder (its `_l3c/` is replaced). */
  outDir: string;
  /** Folders that hold model folders (`<dir>/<name>/manifest.json`). */
  modelDirs: string[];
  minify?: boolean;
}

function copyModels(modelDirs: string[], out: string): string[] {
  const ids: string[] = [];
  for (const dir of modelDirs) {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const mf = join(dir, d.name, "manifest.json");
      if (!d.isDirectory() || !existsSync(mf)) continue;
      const bytes = readFileSync(mf);
      const id = createHash("sha256").update(bytes).digest("hex");
      const dst = join(out, "models", id);
      mkdirSync(dst, { recursive: true });
      copyFileSync(mf, join(dst, "manifest.json"));
      const files = JSON.parse(bytes.toString("utf8")).files as Record<string, { file: string }>;
      for (const [role, f] of Object.entries(files)) {
        if (role !== "encoder") copyFileSync(join(dir, d.name, f.file), join(dst, f.file));
      }
      // The float-exact forms the browser decoder runs (shared/graph-forms.ts).
      const forms = join(dir, d.name, "forms.json");
      if (existsSync(forms)) {
        copyFileSync(forms, join(dst, "forms.json"));
        for (const f of Object.values(parseForms(JSON.parse(readFileSync(forms, "utf8")))))
          copyFileSync(join(dir, d.name, f.file), join(dst, f.file));
      }
      ids.push(`${d.name} ${id}`);
    }
  }
  return ids;
}

export async function buildWeb(opts: WebBuildOptions): Promise<{ dir: string; models: string[] }> {
  const out = join(opts.outDir, "_l3c");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "ort"), { recursive: true });
  await build({
    entryPoints: {
      l3c: join(ROOT, "web/src/index.ts"),
      "l3c-worker": join(ROOT, "web/src/worker.ts"),
      "l3c-worker-webgpu": join(ROOT, "web/src/worker-webgpu.ts"),
      demo: join(ROOT, "web/demo/demo.ts"),
    },
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: opts.minify ?? true,
    sourcemap: true,
    logLevel: "warning",
  });
  for (const f of ["ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.jspi.wasm"])
    copyFileSync(join(ROOT, "node_modules/onnxruntime-web/dist", f), join(out, "ort", f));
  // the entropy core (npm run build:wasm): SIMD128 where the browser has it, scalar otherwise
  mkdirSync(join(out, "core"), { recursive: true });
  for (const f of ["l3c-core-simd.wasm", "l3c-core.wasm"]) {
    const src = join(ROOT, "shared/wasm/build", f);
    if (!existsSync(src))
      throw new Error(`${src} is missing: run \`npm run build:wasm\` (part of \`npm run setup\`)`);
    copyFileSync(src, join(out, "core", f));
  }
  copyFileSync(join(ROOT, "web/demo/demo.html"), join(out, "demo.html"));
  return { dir: out, models: copyModels(opts.modelDirs, out) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await buildWeb({ outDir: join(ROOT, "web/dist"), modelDirs: [join(ROOT, "models")] });
  console.log(`web assets in ${r.dir}\n${r.models.map((m) => `  model ${m}`).join("\n")}`);
}
