/**
 * @module graph-forms
 * Which file runs a model's graph role. The model id (SHA-256 of manifest.json) names the
 * integer graphs, which are normative. A model folder may also hold `forms.json`
 * (training/l3c/float_exact.py):
 *
 *   {"format": "l3c-forms/1",
 *    "float-exact": {role: {"file": ..., "sha256": ..., "of": <integer graph's SHA-256>}}}
 *
 * float32 graphs of integers, proven equal to the integer graphs (every partial sum below
 * 2^24), for runtimes without a fast ConvInteger (onnxruntime's CUDA provider has none;
 * onnxruntime-web's is several times slower than its float Conv). A form is used only
 * when its "of" is the manifest's hash for that role; its own hash is checked like any
 * graph's. Streams, model ids and decoded pixels are the same with either form.
 */

export const GRAPH_FORMS = ["int", "float-exact"] as const;
export type GraphForm = (typeof GRAPH_FORMS)[number];
export const FORMS_FORMAT = "l3c-forms/1";

export interface GraphFile {
  file: string;
  sha256: string;
}

/** forms.json, parsed; absent or unusable forms are an empty object (the integer graphs run). */
export type FloatForms = Record<string, GraphFile & { of: string }>;

/** The float-exact entries of a forms.json document (undefined or malformed: none). */
export function parseForms(doc: unknown): FloatForms {
  const d = doc as { format?: unknown; "float-exact"?: unknown } | undefined;
  if (!d || d.format !== FORMS_FORMAT || typeof d["float-exact"] !== "object" || !d["float-exact"]) return {};
  const out: FloatForms = {};
  for (const [role, f] of Object.entries(d["float-exact"] as Record<string, Partial<FloatForms[string]>>)) {
    if (
      typeof f?.file === "string" &&
      /^[0-9a-f]{64}$/.test(f.sha256 ?? "") &&
      /^[0-9a-f]{64}$/.test(f.of ?? "")
    )
      out[role] = { file: f.file, sha256: f.sha256!, of: f.of! };
  }
  return out;
}

/**
 * The file to load for `role` in form `want`: the float-exact form when forms.json has
 * one whose "of" is the manifest's hash of the role, else the integer graph.
 */
export function pickGraph(
  files: Record<string, GraphFile>,
  forms: FloatForms,
  role: string,
  want: GraphForm,
): (GraphFile & { form: GraphForm }) | undefined {
  const f = files[role];
  if (!f) return undefined;
  const alt = forms[role];
  if (want === "float-exact" && alt && alt.of === f.sha256)
    return { file: alt.file, sha256: alt.sha256, form: want };
  return { file: f.file, sha256: f.sha256, form: "int" };
}

/** Providers that run only the float form (CUDA: no ConvInteger) or are meant for it (WebGPU). */
const FLOAT_PROVIDERS = new Set(["cuda", "webgpu"]);

/**
 * The default form: float-exact on the CUDA provider, int elsewhere. Measured (one 256
 * tile of kodim01, decode, 1 thread, 2 shared cores): onnxruntime-node CPU int
 * 429 ms vs float 444 (min of 9); onnxruntime-web wasm in Node int 688 vs float 1131:
 * the float form is not faster on the CPU in either runtime, so it is opt-in there.
 */
export function defaultGraphForm(runtime: string | undefined, providers?: readonly unknown[]): GraphForm {
  if (runtime === "wasm") return "int";
  const first = providers?.[0];
  const name = typeof first === "string" ? first : (first as { name?: string } | undefined)?.name;
  return name && FLOAT_PROVIDERS.has(name) ? "float-exact" : "int";
}
