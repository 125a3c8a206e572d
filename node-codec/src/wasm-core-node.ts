/**
 * @module wasm-core-node
 * Loads the WebAssembly entropy core (shared/wasm/build/, made by `npm run build:wasm`,
 * which the README's set-up runs) for Node: compiled once per process and build.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { EntropyCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import { wasmCore } from "../../shared/wasm/wasm-core.js";

export type CoreKind = "ts" | "wasm" | "wasm-simd";
export const CORE_KINDS: readonly CoreKind[] = ["ts", "wasm", "wasm-simd"];

const FILES: Record<Exclude<CoreKind, "ts">, string> = {
  wasm: "l3c-core.wasm",
  "wasm-simd": "l3c-core-simd.wasm",
};
const cache = new Map<CoreKind, EntropyCore>();

/** The wasm build's path (for error messages and workers). */
export function wasmPath(kind: Exclude<CoreKind, "ts">): string {
  return fileURLToPath(new URL(`../../shared/wasm/build/${FILES[kind]}`, import.meta.url));
}

export function loadWasmCore(kind: Exclude<CoreKind, "ts"> = "wasm-simd"): EntropyCore {
  let core = cache.get(kind);
  if (!core) {
    const path = wasmPath(kind);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch {
      throw new L3cError(
        "INTERNAL",
        `${path} is missing: run \`npm run build:wasm\` (part of \`npm run setup\`)`,
      );
    }
    core = wasmCore(new WebAssembly.Module(bytes), kind);
    cache.set(kind, core);
  }
  return core;
}
