/**
 * @module worker
 * The decode worker bundled as `l3c-worker.js`: the networks on onnxruntime-web's wasm
 * build (`ort/ort-wasm-simd-threaded.wasm`), the integer graphs (worker-body.ts).
 */

import * as ort from "onnxruntime-web/wasm";
import type { OrtLike } from "../../shared/ort-runner.js";
import { startWorker, type WorkerRuntime } from "./worker-body.js";

startWorker({
  ort: ort as unknown as OrtLike & WorkerRuntime["ort"],
  wasmFile: "ort-wasm-simd-threaded.wasm",
  provider: "wasm",
});
