/**
 * @module worker
 * The decode worker (bundled as `l3c-worker.js`): onnxruntime-web on wasm, one thread
 * (pages are rarely cross-origin isolated, and tiles already run in parallel across
 * workers), the shared container and tile model, and the WebAssembly entropy core
 * (`core/l3c-core-simd.wasm`, or the scalar build where SIMD128 is missing: same pixels).
 * Each job decodes one tile and checks its pixel CRC (`decodeTile`); models and the core
 * load once per worker. A job that asks for previews gets each coarse level of its tile
 * (the pyramid decodes 1/8, 1/4 and 1/2 before the rest) as it is decoded.
 */

import * as ort from "onnxruntime-web/wasm";
import { decodeTile } from "../../shared/container.js";
import type { EntropyCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import { parseHeader } from "../../shared/format.js";
import type { L3cTileModel } from "../../shared/l3c-model.js";
import type { OrtLike } from "../../shared/ort-runner.js";
import { wasmCore } from "../../shared/wasm/wasm-core.js";
import { subsample } from "./image-data.js";
import { loadModel } from "./model-loader.js";
import type { TileJob, TileResult } from "./protocol.js";

const models = new Map<string, Promise<L3cTileModel>>();
let configured = false;
let core: Promise<EntropyCore> | undefined;

/** The entropy core: the SIMD128 build, else the scalar one (browsers without SIMD). */
function entropyCore(base: string): Promise<EntropyCore> {
  core ??= (async () => {
    const fetchModule = async (f: string) => {
      const r = await fetch(new URL(`core/${f}`, base));
      if (!r.ok) throw new L3cError("INTERNAL", `core/${f}: HTTP ${r.status}`);
      return WebAssembly.compile(await r.arrayBuffer());
    };
    try {
      return wasmCore(await fetchModule("l3c-core-simd.wasm"), "wasm-simd");
    } catch {
      return wasmCore(await fetchModule("l3c-core.wasm"), "wasm");
    }
  })();
  core.catch(() => {
    core = undefined;
  });
  return core;
}

function model(base: string, hexId: string): Promise<L3cTileModel> {
  if (!configured) {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { wasm: new URL("ort/ort-wasm-simd-threaded.wasm", base).href };
    configured = true;
  }
  const key = `${base} ${hexId}`;
  let m = models.get(key);
  if (!m) {
    m = entropyCore(base).then((c) => loadModel(ort as unknown as OrtLike, base, hexId, c));
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

async function run(job: TileJob): Promise<Uint8Array> {
  const header = parseHeader(job.stream, { maxPixels: job.maxPixels });
  const tile = header.tiles[job.tile];
  if (!tile) throw new L3cError("INVALID_ARGUMENT", `no tile ${job.tile}`);
  const noModel = header.modelId.every((b) => b === 0);
  const onLevel = job.previews
    ? (step: number, rgb: Uint8Array) => {
        const preview = subsample(rgb, tile.width, tile.height, step);
        scope.postMessage({ id: job.id, preview }, [preview.rgb.buffer]);
      }
    : undefined;
  const m = noModel ? undefined : await model(job.base, header.modelHash);
  return decodeTile(job.stream, header, tile, m, onLevel);
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<TileJob>) => void) | null;
  postMessage(m: TileResult, transfer?: Transferable[]): void;
};

scope.onmessage = (e) => {
  const job = e.data;
  run(job).then(
    (tile) => {
      const pixels = tile.byteLength === tile.buffer.byteLength ? tile : tile.slice();
      scope.postMessage({ id: job.id, pixels }, [pixels.buffer]);
    },
    (err: unknown) => {
      const x = err instanceof Error ? err : new Error(String(err));
      const l3c = x instanceof L3cError ? x : undefined;
      scope.postMessage({
        id: job.id,
        error: { name: x.name, code: l3c?.code, message: x.message, detail: l3c?.detail },
      });
    },
  );
};
