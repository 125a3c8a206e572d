/**
 * @module provider
 * Which onnxruntime execution provider the service runs on: CUDA when onnxruntime-node
 * can really create a CUDA session, else the CPU, and why not CUDA (logged at start and
 * reported by /readyz, so a GPU container that serves from the CPU says so). The binding
 * lists CUDA even where the CUDA libraries are missing, so the probe creates a session of
 * a graph that every model has: {@link PROBE_ROLE} (the phase4 models' `head0`, probed
 * before, is missing from the pyramid models, and the failure read as "no CUDA").
 *
 * On CUDA the decode graphs run in their float-exact form (shared/graph-forms.ts:
 * onnxruntime's CUDA provider has no ConvInteger), with cuDNN's DEFAULT convolution
 * algorithm (implicit precomputed GEMM: no search that could pick Winograd or FFT, whose
 * transforms round) and TF32 off. TF32 keeps 10 mantissa bits, enough for the operands
 * (|x - zp| <= 255, weights 8-bit times powers of two), but how tensor cores add inside
 * an MMA is not specified as float32 additions, and nothing here proves it exact on a
 * GPU yet (training/tools/gpu_exact.py --tf32 measures it). Before CUDA is chosen, a
 * graph runs on it and on the CPU in its integer form: any difference, and the service
 * stays on the CPU (a stream coded with other CDFs would not decode elsewhere).
 */
import type { Runtime } from "../../node-codec/src/runtime-options.js";
import type { GraphForm } from "../../shared/graph-forms.js";

/** The graph role every exported model has (training/l3c/export.py: the float encoder). */
export const PROBE_ROLE = "encoder";

/** The decode graph the exactness check runs (every model has it). */
export const CHECK_ROLE = "dec1";

/** CUDA's provider entry: DEFAULT conv algorithm (no exhaustive search), no TF32. */
export const CUDA_PROVIDER = { name: "cuda", cudnn_conv_algo_search: "DEFAULT", use_tf32: 0 } as const;

export interface ProviderChoice {
  /** "cuda", "cpu" (onnxruntime-node) or "wasm" (onnxruntime-web). */
  provider: "cuda" | "cpu" | "wasm";
  /** Why CUDA is not used (absent when it is). */
  reason?: string;
  /** The form of the decode graphs that runs: float-exact on CUDA, int on the CPU (graph-forms.ts). */
  graphForm: GraphForm;
}

/** The execution providers a choice runs with (for Codec.create). */
export function executionProviders(c: ProviderChoice): (string | typeof CUDA_PROVIDER)[] {
  return c.provider === "cuda" ? [CUDA_PROVIDER, "cpu"] : c.provider === "wasm" ? ["wasm"] : ["cpu"];
}

interface Tensorish {
  data: unknown;
  dims: readonly number[];
}

/** The slice of onnxruntime the probe needs (a stub in tests). */
export interface SessionFactory {
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { executionProviders: (string | typeof CUDA_PROVIDER)[] },
    ): Promise<{
      release?(): Promise<void>;
      run?(feeds: Record<string, unknown>): Promise<Record<string, Tensorish>>;
    }>;
  };
  Tensor?: new (type: "uint8", data: Uint8Array, dims: readonly number[]) => unknown;
}

/** A decode graph in both forms and inputs for it: CUDA's float form must give the CPU's integers. */
export interface ExactnessCheck {
  intGraph: Uint8Array;
  floatGraph: Uint8Array;
  feeds: Record<string, { data: Uint8Array; dims: number[] }>;
}

export interface ProbeOptions {
  runtime: Runtime;
  /** L3C_DISABLE_CUDA=1: do not try. */
  cudaDisabled: boolean;
  /** The probe graph's bytes (hash-checked: model-store.ts readGraph). */
  probeGraph: () => Uint8Array | Promise<Uint8Array>;
  /** onnxruntime-node (default: imported when needed). */
  ort?: () => Promise<SessionFactory>;
  /** CHECK_ROLE's graphs (hash-checked) and feeds; without it CUDA is not used. */
  exactness?: () => ExactnessCheck | Promise<ExactnessCheck>;
}

const message = (e: unknown) => (e as Error)?.message ?? String(e);

const cpu = (reason: string): ProviderChoice => ({ provider: "cpu", reason, graphForm: "int" });

async function outputs(
  ort: SessionFactory,
  graph: Uint8Array,
  providers: (string | typeof CUDA_PROVIDER)[],
  c: ExactnessCheck,
) {
  const s = await ort.InferenceSession.create(graph, { executionProviders: providers });
  try {
    if (!s.run || !ort.Tensor) throw new Error("this onnxruntime cannot run a session");
    const feeds: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(c.feeds)) feeds[k] = new ort.Tensor("uint8", t.data, t.dims);
    return await s.run(feeds);
  } finally {
    await s.release?.();
  }
}

/** undefined when CUDA's float form gives the CPU integer graph's outputs, else what differs. */
export async function checkExactness(ort: SessionFactory, c: ExactnessCheck): Promise<string | undefined> {
  const want = await outputs(ort, c.intGraph, ["cpu"], c);
  const got = await outputs(ort, c.floatGraph, [CUDA_PROVIDER], c);
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    const a = w.data as ArrayLike<number>;
    const b = g?.data as ArrayLike<number> | undefined;
    if (!b || a.length !== b.length || g.dims.join() !== w.dims.join())
      return `${CHECK_ROLE} output ${k}: shape differs`;
    for (let i = 0; i < a.length; i++)
      if (a[i] !== b[i]) return `${CHECK_ROLE} output ${k}[${i}]: ${b[i]} on CUDA, ${a[i]} on the CPU`;
  }
  return undefined;
}

export async function chooseProvider(o: ProbeOptions): Promise<ProviderChoice> {
  if (o.runtime === "wasm")
    return {
      provider: "wasm",
      reason: "L3C_RUNTIME=wasm (onnxruntime-web has no CUDA)",
      graphForm: "int",
    };
  if (o.cudaDisabled) return cpu("disabled by L3C_DISABLE_CUDA=1");
  let graph: Uint8Array;
  try {
    graph = await o.probeGraph();
  } catch (e) {
    return cpu(`the ${PROBE_ROLE} graph to probe CUDA with could not be read: ${message(e)}`);
  }
  let ort: SessionFactory;
  try {
    ort = await (o.ort ?? (async () => (await import("onnxruntime-node")) as unknown as SessionFactory))();
    const s = await ort.InferenceSession.create(graph, { executionProviders: [CUDA_PROVIDER] });
    await s.release?.();
  } catch (e) {
    return cpu(`onnxruntime-node could not create a CUDA session: ${message(e)}`);
  }
  if (!o.exactness) return cpu(`no ${CHECK_ROLE} graph pair to check CUDA's exactness with`);
  try {
    const diff = await checkExactness(ort, await o.exactness());
    if (diff) return cpu(`the float-exact graphs are not exact on CUDA here: ${diff}`);
  } catch (e) {
    return cpu(`the exactness check on CUDA failed: ${message(e)}`);
  }
  return { provider: "cuda", graphForm: "float-exact" };
}
