/**
 * @module worker-webgpu
 * The decode worker bundled as `l3c-worker-webgpu.js`: the networks on onnxruntime-web's
 * WebGPU execution provider, the float-exact graphs (worker-body.ts). onnxruntime-web's
 * JSPI build (`ort/ort-wasm-simd-threaded.jspi.wasm`, 18 MB): its WebGPU build proper
 * (asyncify, 29 MB) is over the 25 MiB a Workers static asset may be. The page picks this
 * worker only where WebAssembly JSPI and a WebGPU adapter exist (decoder.ts).
 */

import * as ort from "onnxruntime-web/jspi";
import type { OrtLike } from "../../shared/ort-runner.js";
import { startWorker, type WorkerRuntime } from "./worker-body.js";

startWorker({
  ort: ort as unknown as OrtLike & WorkerRuntime["ort"],
  wasmFile: "ort-wasm-simd-threaded.jspi.wasm",
  provider: "webgpu",
});
