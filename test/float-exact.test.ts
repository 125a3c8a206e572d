/**
 * The float-exact graph forms (shared/graph-forms.ts, training/l3c/float_exact.py)
 * decode every conformance vector to its reference pixels, on onnxruntime-node (threads 1
 * and 2) and onnxruntime-web's wasm backend in Node, and the float files are what really
 * ran (session bytes hashed). Form selection: "of" must be the manifest's hash; a
 * float file that does not match forms.json is refused like an integer one.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listModels, ModelStore, readGraph } from "../node-codec/src/model-store.js";
import { loadOrt, type Runtime } from "../node-codec/src/runtime-options.js";
import { decodeImage } from "../shared/container.js";
import { defaultGraphForm, pickGraph } from "../shared/graph-forms.js";
import type { OrtLike } from "../shared/ort-runner.js";

const ROOT = new URL("../", import.meta.url).pathname;
const VECTORS = join(ROOT, "test/vectors");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Case {
  name: string;
  stream: Uint8Array;
  reference: Uint8Array;
  models: string;
}

/** The decode vectors that name a model folder whose model has float forms. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const d of readdirSync(VECTORS, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    let meta: { kind?: string; models?: string; input: string; expect: { reference?: string } };
    try {
      meta = JSON.parse(readFileSync(join(VECTORS, d.name, "case.json"), "utf8"));
    } catch {
      continue;
    }
    if (meta.kind !== "decode" || !meta.models || !meta.expect.reference) continue;
    out.push({
      name: d.name,
      stream: new Uint8Array(readFileSync(join(VECTORS, d.name, meta.input))),
      reference: new Uint8Array(readFileSync(join(VECTORS, d.name, meta.expect.reference))),
      models: join(ROOT, meta.models),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** onnxruntime with every session's graph bytes recorded. */
function spied(ort: OrtLike) {
  const graphs = new Set<string>();
  const wrapped: OrtLike = {
    Tensor: ort.Tensor,
    InferenceSession: {
      create: (b, o) => {
        graphs.add(sha256(b));
        return ort.InferenceSession.create(b, o);
      },
    },
  };
  return { ort: wrapped, graphs };
}

const floatHashes = (dir: string) =>
  new Set(listModels(dir).flatMap((m) => Object.values(m.forms).map((f) => f.sha256)));

async function decodeAll(runtime: Runtime, threads: number) {
  const base = await loadOrt(runtime);
  const withForms: string[] = [];
  for (const c of cases()) {
    const { ort, graphs } = spied(base);
    const store = new ModelStore(ort, {
      modelsDir: c.models,
      runtime,
      threads,
      graphForm: "float-exact",
      executionProviders: [runtime === "wasm" ? "wasm" : "cpu"],
      core: "wasm-simd",
    });
    try {
      const img = await decodeImage(c.stream, { models: (id) => store.get(id) });
      expect(sha256(img.data), `${c.name} (${runtime}, ${threads} threads)`).toBe(sha256(c.reference));
      // Models without forms.json (v1-v4) run their integer graphs.
      const float = store.formOf(img.header.modelHash) === "float-exact";
      if (float) withForms.push(c.name);
      const floats = floatHashes(c.models);
      expect(graphs.size, c.name).toBeGreaterThan(0);
      for (const g of graphs) expect(floats.has(g), `${c.name}: the form of a session's graph`).toBe(float);
    } finally {
      await store.close();
    }
  }
  expect(withForms).toEqual(
    expect.arrayContaining([
      "model-l3c-pyramid-v9-rgb",
      "model-l3c-fast-v1-rgb",
      "model-l3c-fast-v2-rgb",
      "model-tiny-z1none-rgb",
      "model-l3c-pyramid-v8-rgb",
      "model-l3c-pyramid-v7-rgb",
      "model-l3c-pyramid-v6-rgb",
      "model-tiny-rgb",
      "model-tiny-adapt5-rgb",
      "model-tiny-adapt6-rgb",
    ]),
  );
}

describe("float-exact graph forms", () => {
  it.each([1, 2])(
    "every decode vector gives its reference pixels on onnxruntime-node, %i threads",
    async (t) => {
      await decodeAll("node", t);
    },
  );

  it("every decode vector gives its reference pixels on onnxruntime-web (wasm) in Node", async () => {
    // onnxruntime-web 1.30 ships only its SIMD build (ort-wasm-simd-threaded), so SIMD
    // cannot be switched off; in Node it runs one thread.
    await decodeAll("wasm", 1);
  });

  it("defaults: float-exact on CUDA; int on the CPU, onnxruntime-node or -web (measured faster)", () => {
    expect(defaultGraphForm("wasm", ["wasm"])).toBe("int");
    expect(defaultGraphForm("node", ["webgpu"])).toBe("float-exact");
    expect(defaultGraphForm("node", [{ name: "cuda", cudnn_conv_algo_search: "DEFAULT" }, "cpu"])).toBe(
      "float-exact",
    );
    expect(defaultGraphForm("node", ["cpu"])).toBe("int");
    expect(defaultGraphForm("node", undefined)).toBe("int");
  });

  it("uses a form only when its `of` is the manifest's hash, and checks the form's own hash", () => {
    const dir = mkdtempSync(join(tmpdir(), "l3c-forms-"));
    cpSync(join(ROOT, "test/fixtures/models/tiny"), join(dir, "tiny"), { recursive: true });
    const formsPath = join(dir, "tiny/forms.json");
    const forms = JSON.parse(readFileSync(formsPath, "utf8"));
    const [e] = listModels(dir);
    const intHash = e.manifest.files.dec1.sha256;
    expect(sha256(readGraph(e, "dec1", "float-exact"))).toBe(forms["float-exact"].dec1.sha256);
    expect(sha256(readGraph(e, "dec1", "int"))).toBe(intHash);
    expect(sha256(readGraph(e, "encoder", "float-exact"))).toBe(e.manifest.files.encoder.sha256);
    // a form of another graph is not used
    forms["float-exact"].dec1.of = "0".repeat(64);
    writeFileSync(formsPath, JSON.stringify(forms));
    const [e2] = listModels(dir);
    expect(pickGraph(e2.manifest.files, e2.forms, "dec1", "float-exact")?.form).toBe("int");
    expect(sha256(readGraph(e2, "dec1", "float-exact"))).toBe(intHash);
    // an altered float file is refused
    forms["float-exact"].dec1.of = intHash;
    writeFileSync(formsPath, JSON.stringify(forms));
    writeFileSync(join(dir, "tiny", forms["float-exact"].dec1.file), new Uint8Array([1, 2, 3]));
    expect(() => readGraph(listModels(dir)[0], "dec1", "float-exact")).toThrow(
      expect.objectContaining({
        detail: `${forms["float-exact"].dec1.file} does not match its forms.json hash`,
      }),
    );
    // an unknown format: no forms
    writeFileSync(formsPath, JSON.stringify({ ...forms, format: "l3c-forms/9" }));
    expect(listModels(dir)[0].forms).toEqual({});
  });
});
