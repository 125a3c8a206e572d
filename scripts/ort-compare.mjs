#!/usr/bin/env node
/**
 * Run ONNX graphs in onnxruntime-node and onnxruntime-web (wasm) with 1 and 2 threads and
 * every graph optimization level, and compare each output bit for bit with reference
 * outputs. Used by training/tests (reference = onnxruntime for Python).
 *
 *   node scripts/ort-compare.mjs <case-dir>
 * <case-dir>/cases.json: [{ model, inputs: {name: {file, type, dims}}, outputs: {name: {file, type}} }]
 * Exit code 0 when everything is identical; prints one line per run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8"));
const ARRAYS = { uint8: Uint8Array, int32: Int32Array, float32: Float32Array };
const load = (f, type) => {
  const b = readFileSync(join(dir, f));
  return new ARRAYS[type](b.buffer, b.byteOffset, b.byteLength / ARRAYS[type].BYTES_PER_ELEMENT);
};
let failures = 0;
for (const [label, mod, ep] of [
  ["node", "onnxruntime-node", "cpu"],
  ["web", "onnxruntime-web", "wasm"],
]) {
  const ort = await import(mod);
  for (const threads of [1, 2]) {
    for (const opt of ["disabled", "basic", "extended", "all"]) {
      for (const c of cases) {
        const s = await ort.InferenceSession.create(readFileSync(join(dir, c.model)), {
          intraOpNumThreads: threads,
          graphOptimizationLevel: opt,
          executionProviders: [ep],
        });
        const feeds = {};
        for (const [name, t] of Object.entries(c.inputs))
          feeds[name] = new ort.Tensor(t.type, load(t.file, t.type), t.dims);
        const out = await s.run(feeds);
        for (const [name, t] of Object.entries(c.outputs)) {
          const ref = load(t.file, t.type);
          const got = out[name].data;
          let diff = got.length === ref.length ? 0 : 1;
          for (let i = 0; i < ref.length && !diff; i++) if (got[i] !== ref[i]) diff++;
          if (diff) failures++;
          console.log(`${diff ? "DIFF" : "same"} ${label} threads=${threads} opt=${opt} ${c.model} ${name}`);
        }
        await s.release?.();
      }
    }
  }
}
process.exit(failures ? 1 : 0);
