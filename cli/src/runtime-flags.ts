/**
 * @module runtime-flags
 * What runs the codec, as `encode` and `decode` take it: --runtime, --core, --threads,
 * --workers.
 */

import type { CoreKind, Runtime } from "../../node-codec/src/runtime-options.js";

export interface RuntimeFlags {
  runtime: Runtime;
  core: CoreKind;
  threads?: number;
  workers: number;
}

export function runtimeOptions(f: RuntimeFlags) {
  return { runtime: f.runtime, core: f.core, threads: f.threads, workers: f.workers };
}
