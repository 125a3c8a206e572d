/**
 * @module codec
 * The Node codec: models from `models/`, onnxruntime-node (native) or onnxruntime-web
 * (wasm) to run them, and the shared container. Encoding verifies by default that the
 * stream decodes to exactly the input pixels before returning it.
 */

import { decodeImage, type EncodeOptions, encodeImage, type TileModel } from "../../shared/container.js";
import { expectInteger, L3cError } from "../../shared/errors.js";
import { DEFAULT_TILE_SIZE, type Limits } from "../../shared/format.js";
import type { RawImage } from "../../shared/image.js";
import { type ModelEntry, ModelStore } from "./model-store.js";
import {
  type CoreKind,
  entropyCore,
  expectCore,
  expectRuntime,
  loadOrt,
  type Runtime,
  type RuntimeOptions,
} from "./runtime-options.js";
import { TilePool } from "./tile-pool.js";

export type { Runtime };

export interface CodecOptions extends RuntimeOptions {
  /**
   * Worker threads that code tiles (0, the default: none, tiles run on the calling
   * thread one at a time). With n workers up to n tiles, of one image or of concurrent
   * calls, are coded at once and the calling thread's event loop stays free; `threads`
   * is then per worker (default: cores / n).
   */
  workers?: number;
}

export class Codec {
  private constructor(
    /** This room's internals (its tests look inside); callers use models, model(), workers. */
    readonly store: ModelStore,
    readonly runtime: Runtime,
    /** The entropy core that codes (runtime-options.ts). */
    readonly core: CoreKind,
    /** See store. */
    readonly pool?: TilePool,
  ) {}

  static async create(opts: CodecOptions = {}): Promise<Codec> {
    const runtime = expectRuntime(opts.runtime ?? "node");
    const { workers: w, ...rest } = opts;
    const core = expectCore(rest.core ?? "wasm-simd");
    entropyCore({ core }); // load the core here (a missing build fails now), not in every worker
    const ort = await loadOrt(runtime);
    const runtimeOptions: RuntimeOptions = {
      ...rest,
      runtime,
      executionProviders: opts.executionProviders ?? (runtime === "wasm" ? ["wasm"] : ["cpu"]),
    };
    const store = new ModelStore(ort, runtimeOptions);
    const workers = expectInteger("workers", w ?? 0, 0, 256);
    const pool = workers ? new TilePool({ ...runtimeOptions, workers }) : undefined;
    try {
      await pool?.ready();
    } catch (e) {
      await pool?.close();
      throw new L3cError("INTERNAL", `tile workers did not start: ${(e as Error).message}`);
    }
    return new Codec(store, runtime, core, pool);
  }

  /** Creates a model's sessions now (in every worker when there are workers). */
  async warm(hexId: string): Promise<void> {
    if (this.pool) await this.pool.warm(hexId);
    else await this.store.warm(hexId);
  }

  /** Tiles in flight per call: the pool's size, else 1. */
  get concurrency(): number {
    return this.pool?.size ?? 1;
  }

  /** Tile worker threads (0: tiles run on the calling thread). */
  get workers(): number {
    return this.pool?.size ?? 0;
  }

  /** The models this codec can code with (its models folder). */
  get models(): readonly ModelEntry[] {
    return this.store.entries;
  }

  private resolve = (hexId: string): TileModel | undefined => {
    if (!this.pool) return this.store.get(hexId);
    return this.store.has(hexId) ? this.pool.model(hexId) : undefined;
  };

  /** A model by name, id or id prefix; without one, the default model. */
  model(nameOrId?: string): ModelEntry {
    return this.store.find(nameOrId);
  }

  async encode(
    img: RawImage,
    opts: {
      model?: string;
      tileSize?: number;
      verify?: boolean;
      onProgress?: EncodeOptions["onProgress"];
      signal?: AbortSignal;
      /** See {@link EncodeOptions.storedFallback} (default true). */
      storedFallback?: boolean;
    } = {},
  ) {
    const entry = this.model(opts.model);
    const model = this.resolve(entry.id);
    if (!model) throw new L3cError("UNKNOWN_MODEL", entry.id);
    const r = await encodeImage(img, {
      model,
      concurrency: this.concurrency,
      tileSize: opts.tileSize ?? DEFAULT_TILE_SIZE,
      onProgress: opts.onProgress,
      signal: opts.signal,
      storedFallback: opts.storedFallback,
    });
    if (opts.verify !== false) {
      const back = await this.decode(r.bytes, { signal: opts.signal });
      if (back.width !== img.width || back.height !== img.height || back.channels !== img.channels) {
        throw new L3cError("PIXEL_CHECKSUM", "verification: decoded image has another shape");
      }
      const a = back.data;
      const b = img.data;
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) throw new L3cError("PIXEL_CHECKSUM", `verification: pixel byte ${i} differs`);
      }
    }
    return { ...r, model: entry };
  }

  decode(
    bytes: Uint8Array,
    opts: {
      limits?: Partial<Limits>;
      onProgress?: (d: number, t: number) => void;
      signal?: AbortSignal;
    } = {},
  ) {
    return decodeImage(bytes, {
      models: this.resolve,
      concurrency: this.concurrency,
      limits: opts.limits,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.store.close();
  }
}
