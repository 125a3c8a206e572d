/**
 * @module runtime-options
 * What runs a model, in one object that the codec, the model store and every tile
 * worker share: the onnxruntime flavour and its settings, and the entropy core.
 */

import { availableParallelism } from "node:os";
import type { EntropyCore } from "../../shared/entropy-core.js";
import { tsCore } from "../../shared/entropy-core.js";
import { expectOneOf } from "../../shared/errors.js";
import type { GraphForm } from "../../shared/graph-forms.js";
import type { OrtLike, OrtRunnerOptions } from "../../shared/ort-runner.js";
import { CORE_KINDS, type CoreKind, loadWasmCore } from "./wasm-core-node.js";

export const RUNTIMES = ["node", "wasm"] as const;
export type Runtime = (typeof RUNTIMES)[number];
export { CORE_KINDS, type CoreKind };

/**
 * Default tile worker count: one per core, at most 8. Each worker holds its own sessions
 * (~0.3 GiB at tiles of 256), and past a handful of workers most images have fewer
 * tiles than workers.
 */
export function defaultWorkers(): number {
  return Math.min(8, availableParallelism());
}

export interface RuntimeOptions {
  /** onnxruntime-node (native, default) or onnxruntime-web (wasm). */
  runtime?: Runtime;
  /** onnxruntime intra-op threads (0: default). */
  threads?: number;
  /** Models folder (default: $L3C_MODELS_DIR, else the repository's models/). */
  modelsDir?: string;
  optimization?: "disabled" | "basic" | "extended" | "all";
  /** onnxruntime execution providers (default: cpu for node, wasm for wasm). */
  executionProviders?: OrtRunnerOptions["executionProviders"];
  /** onnxruntime's CPU memory arena (default false; see OrtRunnerOptions). */
  cpuMemArena?: boolean;
  /**
   * Which form of the decode graphs runs (shared/graph-forms.ts): "int" or "float-exact"
   * (same outputs; default float-exact on CUDA, int on the CPU: shared/graph-forms.ts).
   */
  graphForm?: GraphForm;
  /**
   * The entropy core: "wasm-simd" (default), "wasm" (scalar) or "ts" (the TypeScript
   * reference). All three give the same bytes; the wasm builds are faster.
   */
  core?: CoreKind;
}

export async function loadOrt(runtime: Runtime): Promise<OrtLike> {
  if (runtime === "node") return (await import("onnxruntime-node")) as unknown as OrtLike;
  return (await import("onnxruntime-web")) as unknown as OrtLike;
}

export function expectRuntime(v: unknown): Runtime {
  return expectOneOf("runtime", v, RUNTIMES);
}

export function expectCore(v: unknown): CoreKind {
  return expectOneOf("core", v, CORE_KINDS);
}

/** The entropy core an options object names. */
export function entropyCore(opts: RuntimeOptions): EntropyCore {
  const kind = expectCore(opts.core ?? "wasm-simd");
  return kind === "ts" ? tsCore : loadWasmCore(kind);
}
