/**
 * @module runtime-options
 * What runs a model, in one object that the codec, the model store and every tile
 * worker share: the onnxruntime flavour and its settings, and the entropy core.
 */

import type { EntropyCore } from "../../shared/entropy-core.js";
import { tsCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import type { OrtLike } from "../../shared/ort-runner.js";
import { CORE_KINDS, type CoreKind, loadWasmCore } from "./wasm-core-node.js";

export type Runtime = "node" | "wasm";
export type { CoreKind };

export interface RuntimeOptions {
  /** onnxruntime-node (native, default) or onnxruntime-web (wasm). */
  runtime?: Runtime;
  /** onnxruntime intra-op threads (0: default). */
  threads?: number;
  /** Models folder (default: $L3C_MODELS_DIR, else the repository's models/). */
  modelsDir?: string;
  optimization?: "disabled" | "basic" | "extended" | "all";
  /** onnxruntime execution providers (default: cpu for node, wasm for wasm). */
  executionProviders?: string[];
  /** onnxruntime's CPU memory arena (default false; see OrtRunnerOptions). */
  cpuMemArena?: boolean;
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
  if (v !== "node" && v !== "wasm") {
    throw new L3cError(
      "INVALID_ARGUMENT",
      `Expected "node" or "wasm" for runtime but received ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export function expectCore(v: unknown): CoreKind {
  if (!CORE_KINDS.includes(v as CoreKind)) {
    throw new L3cError(
      "INVALID_ARGUMENT",
      `Expected one of ${CORE_KINDS.map((k) => `"${k}"`).join(", ")} for core but received ${JSON.stringify(v)}`,
    );
  }
  return v as CoreKind;
}

/** The entropy core an options object names. */
export function entropyCore(opts: RuntimeOptions): EntropyCore {
  const kind = expectCore(opts.core ?? "wasm-simd");
  return kind === "ts" ? tsCore : loadWasmCore(kind);
}
