/**
 * @module model-store
 * Models on disk: `models/<name>/manifest.json` plus the ONNX files it lists. A model's
 * id is the SHA-256 of its manifest bytes (what streams name); every file's SHA-256 is
 * checked against the manifest before a session is created from it. A model's forms.json
 * may add float-exact forms of its graphs (shared/graph-forms.ts): used when the options'
 * graphForm (default: float-exact on CUDA, int on the CPU) asks for
 * them and their "of" is the manifest's hash; their own hash is checked the same way.
 */

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EntropyCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import {
  defaultGraphForm,
  type FloatForms,
  type GraphForm,
  parseForms,
  pickGraph,
} from "../../shared/graph-forms.js";
import { L3cTileModel, type ModelConfig } from "../../shared/l3c-model.js";
import { type OrtLike, OrtRunner } from "../../shared/ort-runner.js";
import { entropyCore, type RuntimeOptions } from "./runtime-options.js";

export const DEFAULT_MODELS_DIR = resolve(new URL("../../models", import.meta.url).pathname);

/** The models folder: $L3C_MODELS_DIR, else the repository's models/. */
export function modelsDir(): string {
  return process.env.L3C_MODELS_DIR ? resolve(process.env.L3C_MODELS_DIR) : DEFAULT_MODELS_DIR;
}

export interface ModelEntry {
  id: string;
  name: string;
  dir: string;
  manifest: {
    name: string;
    config: ModelConfig;
    files: Record<string, { file: string; sha256: string; bytes: number }>;
    [k: string]: unknown;
  };
  /** forms.json's float-exact forms ({} without one). */
  forms: FloatForms;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export function listModels(dir = modelsDir()): ModelEntry[] {
  if (!existsSync(dir)) return [];
  const out: ModelEntry[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const mf = join(dir, d.name, "manifest.json");
    if (!d.isDirectory() || !existsSync(mf)) continue;
    const bytes = readFileSync(mf);
    const ff = join(dir, d.name, "forms.json");
    let forms: FloatForms = {};
    try {
      forms = existsSync(ff) ? parseForms(JSON.parse(readFileSync(ff, "utf8"))) : {};
    } catch {
      forms = {}; // an unreadable forms.json: the integer graphs run
    }
    out.push({
      id: sha256(bytes),
      name: d.name,
      dir: join(dir, d.name),
      manifest: JSON.parse(bytes.toString("utf8")),
      forms,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The model new streams are encoded with: $L3C_MODEL (name or id), else the name in
 * `<models>/default`, else the only model present.
 */
export function defaultModel(entries: readonly ModelEntry[], dir = modelsDir()): ModelEntry {
  let want = process.env.L3C_MODEL;
  if (!want) {
    try {
      want = readFileSync(join(dir, "default"), "utf8").trim() || undefined;
    } catch {
      want = undefined;
    }
  }
  if (want) {
    const e = entries.find((m) => m.name === want || m.id === want);
    if (!e) throw new L3cError("UNKNOWN_MODEL", `no model named ${want} in ${dir}`);
    return e;
  }
  if (entries.length === 1) return entries[0];
  throw new L3cError(
    "UNKNOWN_MODEL",
    entries.length ? `several models in ${dir} and no default file; set L3C_MODEL` : `no models in ${dir}`,
  );
}

/**
 * A graph of a model, checked against the SHA-256 its manifest lists (a float-exact form:
 * the one forms.json lists, and only for the manifest's hash; else the integer graph).
 */
export function readGraph(e: ModelEntry, role: string, form: GraphForm = "int"): Uint8Array {
  const f = pickGraph(e.manifest.files, e.forms ?? {}, role, form);
  if (!f) throw new L3cError("UNKNOWN_MODEL", `model ${e.name} has no ${role} graph`);
  const b = new Uint8Array(readFileSync(join(e.dir, f.file)));
  if (sha256(b) !== f.sha256)
    throw new L3cError(
      "UNKNOWN_MODEL",
      `${f.file} does not match its ${f.form === "int" ? "manifest" : "forms.json"} hash`,
    );
  return b;
}

/** The models of a folder: found by name or id, and turned into tile models, each once. */
export class ModelStore {
  readonly entries: ModelEntry[];
  private readonly loaded = new Map<string, { model: L3cTileModel; runner: OrtRunner }>();
  private readonly core: EntropyCore;
  /** The graph form asked for (options.graphForm, else defaultGraphForm). */
  readonly graphForm: GraphForm;

  constructor(
    private readonly ort: OrtLike,
    private readonly options: RuntimeOptions = {},
  ) {
    this.entries = listModels(options.modelsDir);
    this.core = entropyCore(options);
    this.graphForm =
      options.graphForm ?? defaultGraphForm(options.runtime ?? "node", options.executionProviders);
  }

  /** The form that runs a model's decode graphs: float-exact only if forms.json has them all. */
  formOf(hexId: string): GraphForm {
    const e = this.entries.find((m) => m.id === hexId);
    if (!e || this.graphForm === "int") return "int";
    const roles = Object.keys(e.manifest.files).filter((r) => r !== "encoder");
    return roles.every((r) => pickGraph(e.manifest.files, e.forms, r, "float-exact")?.form === "float-exact")
      ? "float-exact"
      : "int";
  }

  /** A model by name, id or id prefix; the default model (defaultModel) without one. */
  find(nameOrId?: string): ModelEntry {
    if (!nameOrId) return defaultModel(this.entries, this.options.modelsDir ?? modelsDir());
    const e = this.entries.find((m) => m.name === nameOrId || m.id === nameOrId || m.id.startsWith(nameOrId));
    if (!e) {
      const names = this.entries.map((m) => m.name).join(", ");
      const expected = names ? `one of ${names} or a model id` : "a model, but there are none";
      throw new L3cError("UNKNOWN_MODEL", `unknown model ${nameOrId}: expected ${expected}`);
    }
    return e;
  }

  /** Whether a stream's model (its hex id) is here. */
  has(hexId: string): boolean {
    return this.entries.some((e) => e.id === hexId);
  }

  get(hexId: string): L3cTileModel | undefined {
    const hit = this.loaded.get(hexId);
    if (hit) return hit.model;
    const e = this.entries.find((m) => m.id === hexId);
    if (!e) return undefined;
    const runner = new OrtRunner(this.ort, async (role) => readGraph(e, role, this.graphForm), this.options);
    const id = Uint8Array.from(Buffer.from(hexId, "hex"));
    const model = new L3cTileModel(id, e.manifest.config, runner, this.core);
    this.loaded.set(hexId, { model, runner });
    return model;
  }

  async warm(hexId: string): Promise<void> {
    const m = this.get(hexId);
    if (!m) throw new L3cError("UNKNOWN_MODEL", hexId);
    await this.loaded
      .get(hexId)
      ?.runner.warm(Object.keys(this.entries.find((e) => e.id === hexId)!.manifest.files));
  }

  async close(): Promise<void> {
    for (const { runner } of this.loaded.values()) await runner.release();
    this.loaded.clear();
  }
}
