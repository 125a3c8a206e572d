/**
 * @module worker-body
 * The decode worker, whichever onnxruntime-web build runs its networks (`worker.ts`: wasm,
 * `worker-webgpu.ts`: WebGPU): one thread for onnxruntime (pages are rarely cross-origin
 * isolated, and tiles already run in parallel across workers), the shared container and
 * tile model, and the WebAssembly entropy core
 * (`core/l3c-core-simd.wasm`, or the scalar build where SIMD128 is missing: same pixels).
 * Each job decodes one tile and checks its pixel CRC (`decodeTile`); models and the core
 * load once per worker. A job that asks for previews gets each coarse level of its tile
 * (the pyramid decodes 1/8, 1/4 and 1/2 before the rest) as it is decoded.
 *
 * A worker may hold several jobs (pool.ts); they take turns, one decoding at a time
 * (onnxruntime's sessions run one call at a time, and so does this thread). At each coarse
 * level a tile goes back in line behind the tiles at a coarser one: every tile's 1/8
 * image comes before any tile's 1/4, and so on, then the tiles finish in turn.
 */

import { decodeTile } from "../../shared/container.js";
import type { EntropyCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import { parseHeader } from "../../shared/format.js";
import { defaultGraphForm, type GraphForm } from "../../shared/graph-forms.js";
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

/** What runs a worker's networks: an onnxruntime-web build, its wasm file and its provider. */
export interface WorkerRuntime {
  ort: OrtLike & { env: { wasm: { numThreads?: number; proxy?: boolean; wasmPaths?: unknown } } };
  /** The build's wasm file, under `<base>ort/`. */
  wasmFile: string;
  provider: "wasm" | "webgpu";
}

let runtime: WorkerRuntime;

function model(base: string, hexId: string, form?: GraphForm): Promise<L3cTileModel> {
  if (!configured) {
    runtime.ort.env.wasm.numThreads = 1;
    runtime.ort.env.wasm.proxy = false;
    runtime.ort.env.wasm.wasmPaths = { wasm: new URL(`ort/${runtime.wasmFile}`, base).href };
    configured = true;
  }
  const graphForm = form ?? defaultGraphForm(undefined, [runtime.provider]);
  const key = `${base} ${hexId} ${graphForm}`;
  let m = models.get(key);
  if (!m) {
    m = entropyCore(base).then((c) => loadModel(runtime.ort, base, hexId, c, graphForm, runtime.provider));
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

/** Turns of the tiles in this worker: the lowest rank goes first, then the earliest. */
class Turns {
  private readonly waiting: { rank: number; seq: number; go: () => void }[] = [];
  private busy = false;
  private seq = 0;

  take(rank: number): Promise<void> {
    return new Promise((go) => {
      this.waiting.push({ rank, seq: this.seq++, go });
      this.next();
    });
  }

  release(): void {
    this.busy = false;
    this.next();
  }

  private next(): void {
    if (this.busy || !this.waiting.length) return;
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const w = this.waiting[i];
      const b = this.waiting[best];
      if (w.rank < b.rank || (w.rank === b.rank && w.seq < b.seq)) best = i;
    }
    this.busy = true;
    this.waiting.splice(best, 1)[0].go();
  }
}

const turns = new Turns();

async function run(job: TileJob): Promise<Uint8Array> {
  await turns.take(0);
  try {
    return await decode(job);
  } finally {
    turns.release();
  }
}

async function decode(job: TileJob): Promise<Uint8Array> {
  const header = parseHeader(job.stream, { maxPixels: job.maxPixels });
  const tile = header.tiles[job.tile];
  if (!tile) throw new L3cError("INVALID_ARGUMENT", `no tile ${job.tile}`);
  const noModel = header.modelId.every((b) => b === 0);
  const onLevel = job.previews
    ? async (step: number, rgb: Uint8Array) => {
        const preview = subsample(rgb, tile.width, tile.height, step);
        scope.postMessage({ id: job.id, preview }, [preview.rgb.buffer]);
        // Rank 1 after the 1/8 image, 2 after the 1/4, 3 after the 1/2. The graphs'
        // promises settle as microtasks: yield to the event loop, or jobs posted since
        // this tile began would not be read (and take their turn) before it ends.
        turns.release();
        await new Promise((r) => setTimeout(r, 0));
        await turns.take(4 - Math.log2(step));
      }
    : undefined;
  const m = noModel ? undefined : await model(job.base, header.modelHash, job.graphForm);
  return decodeTile(job.stream, header, tile, m, onLevel);
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<TileJob>) => void) | null;
  postMessage(m: TileResult, transfer?: Transferable[]): void;
};

/** Start answering the page's jobs, networks run by `rt`. */
export function startWorker(rt: WorkerRuntime): void {
  runtime = rt;
  scope.onmessage = onJob;
}

function onJob(e: MessageEvent<TileJob>): void {
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
}
