/**
 * @module backend
 * What runs the networks of a decode: onnxruntime-web on wasm (`l3c-worker.js`, the
 * integer graphs) or on WebGPU (`l3c-worker-webgpu.js`, the float-exact graphs: the same
 * integers, SPEC.md §5.3). `"auto"` takes WebGPU where the page has a hardware adapter and
 * WebAssembly JSPI (which the WebGPU worker's onnxruntime build needs), wasm elsewhere:
 * a software adapter (SwiftShader, a fallback adapter) is a CPU, measured ~60x slower
 * than wasm here. Either way every tile's pixel CRC is checked; under `"auto"` a tile that
 * fails on WebGPU is decoded again on wasm and, if that succeeds, the page stops using
 * WebGPU (its results or its runtime were wrong; decoder.ts).
 */

export const BACKENDS = ["auto", "wasm", "webgpu"] as const;
export type Backend = (typeof BACKENDS)[number];

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

let detected: Promise<"wasm" | "webgpu"> | undefined;
let webgpuFailed = false;

/** The worker script of a resolved backend, under the decoder's base URL. */
export function workerScript(base: string, backend: "wasm" | "webgpu"): URL {
  return new URL(backend === "webgpu" ? "l3c-worker-webgpu.js" : "l3c-worker.js", base);
}

/** A WebGPU adapter that is hardware, and JSPI: what `"auto"` needs to pick WebGPU. */
async function detect(): Promise<"wasm" | "webgpu"> {
  const gpu = (
    globalThis.navigator as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } | undefined
  )?.gpu;
  if (!gpu || typeof (WebAssembly as { Suspending?: unknown }).Suspending !== "function") return "wasm";
  try {
    const a = await gpu.requestAdapter();
    if (!a) return "wasm";
    const i = a.info ?? {};
    const software = `${i.vendor ?? ""} ${i.architecture ?? ""} ${i.description ?? ""}`;
    if (a.isFallbackAdapter || i.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(software))
      return "wasm";
    return "webgpu";
  } catch {
    return "wasm";
  }
}

/** The backend a decode asking for `want` uses (auto: detected once per page). */
export async function resolveBackend(want: Backend): Promise<"wasm" | "webgpu"> {
  if (want !== "auto") return want;
  if (webgpuFailed) return "wasm";
  detected ??= detect();
  return webgpuFailed ? "wasm" : detected;
}

/** Under "auto", no more WebGPU on this page (a tile failed there and decoded on wasm). */
export function abandonWebGpu(why: unknown): void {
  if (webgpuFailed) return;
  webgpuFailed = true;
  console.warn(`l3c: WebGPU decoding failed (${String(why)}); decoding on wasm from now on`);
}
