/**
 * @module provider
 * Which onnxruntime execution provider the service runs on: CUDA when onnxruntime-node
 * can really create a CUDA session, else the CPU, and why not CUDA (logged at start and
 * reported by /readyz, so a GPU container that serves from the CPU says so). The binding
 * lists CUDA even where the CUDA libraries are missing, so the probe creates a session of
 * a graph that every model has: {@link PROBE_ROLE} (the phase4 models' `head0`, probed
 * before, is missing from the pyramid models, and the failure read as "no CUDA").
 */
import type { Runtime } from "../../node-codec/src/runtime-options.js";

/** The graph role every exported model has (training/l3c/export.py: the float encoder). */
export const PROBE_ROLE = "encoder";

export interface ProviderChoice {
  /** "cuda", "cpu" (onnxruntime-node) or "wasm" (onnxruntime-web). */
  provider: "cuda" | "cpu" | "wasm";
  /** Why CUDA is not used (absent when it is). */
  reason?: string;
}

/** The slice of onnxruntime the probe needs (a stub in tests). */
export interface SessionFactory {
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { executionProviders: string[] },
    ): Promise<{ release?(): Promise<void> }>;
  };
}

export interface ProbeOptions {
  runtime: Runtime;
  /** L3C_DISABLE_CUDA=1: do not try. */
  cudaDisabled: boolean;
  /** The probe graph's bytes (hash-checked: model-store.ts readGraph). */
  probeGraph: () => Uint8Array | Promise<Uint8Array>;
  /** onnxruntime-node (default: imported when needed). */
  ort?: () => Promise<SessionFactory>;
}

const message = (e: unknown) => (e as Error)?.message ?? String(e);

export async function chooseProvider(o: ProbeOptions): Promise<ProviderChoice> {
  if (o.runtime === "wasm")
    return { provider: "wasm", reason: "L3C_RUNTIME=wasm (onnxruntime-web has no CUDA)" };
  if (o.cudaDisabled) return { provider: "cpu", reason: "disabled by L3C_DISABLE_CUDA=1" };
  let graph: Uint8Array;
  try {
    graph = await o.probeGraph();
  } catch (e) {
    return {
      provider: "cpu",
      reason: `the ${PROBE_ROLE} graph to probe CUDA with could not be read: ${message(e)}`,
    };
  }
  try {
    const ort = await (
      o.ort ?? (async () => (await import("onnxruntime-node")) as unknown as SessionFactory)
    )();
    const s = await ort.InferenceSession.create(graph, { executionProviders: ["cuda"] });
    await s.release?.();
    return { provider: "cuda" };
  } catch (e) {
    return { provider: "cpu", reason: `onnxruntime-node could not create a CUDA session: ${message(e)}` };
  }
}
