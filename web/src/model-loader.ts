/**
 * @module model-loader
 * Models for the browser decoder, fetched from `<base>models/<id>/manifest.json` and the
 * graphs it lists (web/build.ts lays them out). The manifest's SHA-256 must be the id
 * the stream names and every graph's SHA-256 the one its manifest lists before a session
 * is made from it: the same checks as gpu-backend's model store, over HTTP. With
 * `graphForm: "float-exact"` the graphs that run are the float-exact forms `forms.json`
 * lists (shared/graph-forms.ts: same outputs), each for the manifest's hash of its role
 * and checked against its own; by default (measured faster in wasm) the integer graphs.
 * `provider` is onnxruntime-web's execution provider (the worker's build has it).
 */

import type { EntropyCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import { defaultGraphForm, type GraphForm, parseForms, pickGraph } from "../../shared/graph-forms.js";
import { L3cTileModel, type ModelConfig } from "../../shared/l3c-model.js";
import { type OrtLike, OrtRunner } from "../../shared/ort-runner.js";
import { sha256Hex } from "../../shared/sha256.js";

interface Manifest {
  config: ModelConfig;
  files: Record<string, { file: string; sha256: string }>;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new L3cError("UNKNOWN_MODEL", `${url.pathname}: ${(e as Error).message}`);
  }
  if (!r.ok) throw new L3cError("UNKNOWN_MODEL", `${url.pathname}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The model with id `hexId`, its graphs run by `ort` (onnxruntime-web), its symbols coded by `core`. */
export async function loadModel(
  ort: OrtLike,
  base: string,
  hexId: string,
  core?: EntropyCore,
  graphForm: GraphForm = defaultGraphForm("wasm", ["wasm"]),
  provider: "wasm" | "webgpu" = "wasm",
): Promise<L3cTileModel> {
  if (!/^[0-9a-f]{64}$/.test(hexId)) throw new L3cError("UNKNOWN_MODEL", `bad model id ${hexId}`);
  const dir = new URL(`models/${hexId}/`, base);
  const bytes = await fetchBytes(new URL("manifest.json", dir));
  if ((await sha256Hex(bytes)) !== hexId) {
    throw new L3cError("UNKNOWN_MODEL", `manifest of ${hexId} does not hash to its id`);
  }
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  let forms = {};
  if (graphForm === "float-exact") {
    try {
      forms = parseForms(JSON.parse(new TextDecoder().decode(await fetchBytes(new URL("forms.json", dir)))));
    } catch {
      forms = {}; // no forms.json (or an unusable one): the integer graphs
    }
  }
  const runner = new OrtRunner(
    ort,
    async (role) => {
      const f = pickGraph(manifest.files, forms, role, graphForm);
      if (!f) throw new L3cError("UNKNOWN_MODEL", `model ${hexId} has no ${role} graph`);
      const g = await fetchBytes(new URL(f.file, dir));
      if ((await sha256Hex(g)) !== f.sha256)
        throw new L3cError(
          "UNKNOWN_MODEL",
          `${f.file} does not match its ${f.form === "int" ? "manifest" : "forms.json"} hash`,
        );
      return g;
    },
    { executionProviders: [provider] },
  );
  const id = Uint8Array.from(hexId.match(/../g)!, (h) => Number.parseInt(h, 16));
  return new L3cTileModel(id, manifest.config, runner, core);
}
