/**
 * @module decoder
 * Decoding `.l3c` in the page: the header is parsed here (limits checked before any
 * allocation), the tiles are decoded by a pool of Web Workers (worker-body.ts; on wasm or
 * WebGPU, backend.ts), each tile's pixel CRC is checked there, and the tiles are placed
 * into one `ImageData`. With
 * `onPreview`, each tile's coarse levels (the pyramid decodes a tile's 1/8, 1/4 and 1/2
 * images before the rest) and then its final pixels are handed over as they arrive.
 */

import { expectInteger, expectOneOf, L3cError } from "../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import { GRAPH_FORMS } from "../../shared/graph-forms.js";
import { channelsOf, placeTile, type RawImage } from "../../shared/image.js";
import { abandonWebGpu, BACKENDS, type Backend, resolveBackend, workerScript } from "./backend.js";
import { toRgba } from "./image-data.js";
import { previewPainter } from "./paint.js";
import { poolFor } from "./pool.js";
import type { TilePreview } from "./protocol.js";

/** Where a preview belongs (see {@link DecodeOptions.onPreview}). */
export interface PreviewInfo {
  /** 3, 2, 1: the tile's 1/8, 1/4, 1/2 image; 0: its final pixels (CRC checked). */
  level: number;
  /** 2^level: the preview's pixel (i, j) is the image's pixel (x + i step, y + j step). */
  step: number;
  /** The tile's index and its rectangle in the image. */
  tile: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The whole image's size. */
  imageWidth: number;
  imageHeight: number;
}

export interface DecodeOptions {
  /**
   * URL of the folder holding the workers, `ort/` and `models/` (default: the folder
   * this module was loaded from, `/_l3c/` on the edge).
   */
  base?: string | URL;
  /** Decode workers on the page (default: cores, at most 4; first call per base wins). */
  workers?: number;
  /** Largest width x height decoded (default 40 M: an RGBA buffer of 160 MB). */
  maxPixels?: number;
  /**
   * The networks' graphs: "int" (the integer graphs, the default: faster in onnxruntime-web's
   * wasm) or "float-exact" (float32 forms proven to compute the same integers, forms.json).
   */
  graphForm?: "int" | "float-exact";
  /**
   * What runs the networks: "wasm" (onnxruntime-web's wasm), "webgpu" (its WebGPU provider,
   * the float-exact graphs; errors are reported, not retried), or "auto" (the default:
   * WebGPU on a hardware adapter with WebAssembly JSPI, else wasm; a tile that fails on
   * WebGPU is decoded again on wasm). The pixels are the same (CRC checked).
   */
  backend?: Backend;
  /** Tiles not yet started when it aborts are dropped (`DEADLINE_EXCEEDED`). */
  signal?: AbortSignal;
  /** Called after each tile with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called with each tile's coarse levels as they are decoded, coarsest first (an
   * `ImageData` of ceil(width / step) x ceil(height / step), to be drawn scaled by `step`
   * into the tile's rectangle), then with its final pixels (level 0). Tiles decode in
   * parallel, so levels of different tiles interleave. Coarse levels are not checked
   * (the CRC covers the final pixels); the promise's `ImageData` is what counts.
   */
  onPreview?: (image: ImageData, info: PreviewInfo) => void;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;

/** True when this page can decode l3c itself (Web Workers and WebAssembly). */
export function canDecodeL3c(): boolean {
  return typeof Worker === "function" && typeof WebAssembly === "object" && WebAssembly !== null;
}

function defaultBase(): URL {
  return new URL(".", import.meta.url);
}

/** Decode stream bytes to an `ImageData` (RGBA). Errors are `L3cError`s. */
export async function decodeL3cStream(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<ImageData> {
  const base = new URL(opts.base ?? defaultBase(), globalThis.location?.href).href;
  const maxPixels = expectInteger("maxPixels", opts.maxPixels ?? DEFAULT_MAX_PIXELS, 1, 2 ** 28);
  const cores = globalThis.navigator?.hardwareConcurrency || 2;
  const workers = expectInteger("workers", opts.workers ?? Math.min(4, cores), 1, 64);
  if (opts.graphForm !== undefined) expectOneOf("graphForm", opts.graphForm, GRAPH_FORMS);
  const want = expectOneOf("backend", opts.backend ?? "auto", BACKENDS);
  const header = parseHeader(bytes, { maxPixels });
  const img: RawImage = {
    width: header.width,
    height: header.height,
    channels: channelsOf(header.layout),
    data: new Uint8Array(header.width * header.height * channelsOf(header.layout)),
  };
  const backend = await resolveBackend(want);
  const pool = poolFor(workerScript(base, backend), workers);
  // No previews once the decode has failed or been aborted: the caller has moved on.
  let failed = false;
  const onPreview = opts.onPreview
    ? (image: ImageData, info: PreviewInfo) => {
        if (!failed && !opts.signal?.aborted) opts.onPreview?.(image, info);
      }
    : undefined;
  let done = 0;
  const tiles = Promise.all(
    header.tiles.map(async (t, i) => {
      const info = (step: number): PreviewInfo => ({
        level: Math.log2(step),
        step,
        tile: i,
        x: t.x,
        y: t.y,
        width: t.width,
        height: t.height,
        imageWidth: header.width,
        imageHeight: header.height,
      });
      const coarse = onPreview
        ? (p: TilePreview) =>
            onPreview(
              new ImageData(
                toRgba({ width: p.width, height: p.height, channels: 3, data: p.rgb }),
                p.width,
                p.height,
              ),
              info(p.step),
            )
        : undefined;
      const job = { base, stream: bytes, tile: i, maxPixels, graphForm: opts.graphForm };
      let pixels: Uint8Array;
      try {
        pixels = await pool.run(job, opts.signal, coarse);
      } catch (e) {
        if (backend !== "webgpu" || want !== "auto" || opts.signal?.aborted) throw e;
        pixels = await poolFor(workerScript(base, "wasm"), workers).run(job, opts.signal, coarse);
        abandonWebGpu(e);
      }
      placeTile(img, pixels, t.x, t.y, t.width, t.height);
      const tileImage = { width: t.width, height: t.height, channels: img.channels, data: pixels };
      onPreview?.(new ImageData(toRgba(tileImage), t.width, t.height), info(1));
      opts.onProgress?.(++done, header.tileCount);
    }),
  );
  await tiles.catch((e: unknown) => {
    failed = true;
    throw e;
  });
  return new ImageData(toRgba(img), img.width, img.height);
}

/** `src` with `?codec=l3c` (the stream itself, whatever the Accept negotiation picks). */
export function streamUrl(src: string | URL): URL {
  const u = new URL(src, globalThis.location?.href);
  u.searchParams.set("codec", "l3c");
  return u;
}

/** Fetch `src?codec=l3c` and decode it. */
export async function decodeL3c(src: string | URL, opts: DecodeOptions = {}): Promise<ImageData> {
  const r = await fetch(streamUrl(src), { signal: opts.signal });
  if (!r.ok) throw new L3cError("INVALID_ARGUMENT", `${src}: HTTP ${r.status}`);
  const type = r.headers.get("Content-Type");
  if (type !== MEDIA_TYPE) throw new L3cError("BAD_MAGIC", `${src}: Content-Type ${type}`);
  return decodeL3cStream(new Uint8Array(await r.arrayBuffer()), opts);
}

/**
 * Decode `src` and draw it into `canvas` (resized to the image), each tile's coarse
 * levels first, scaled up, as they arrive (`onPreview` is still called).
 */
export async function drawL3c(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  src: string | URL,
  opts: DecodeOptions = {},
): Promise<ImageData> {
  const paint = previewPainter(canvas);
  const data = await decodeL3c(src, {
    ...opts,
    onPreview: (image, info) => {
      paint(image, info);
      opts.onPreview?.(image, info);
    },
  });
  canvas.width = data.width;
  canvas.height = data.height;
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new L3cError("INTERNAL", "no 2d context");
  ctx.putImageData(data, 0, 0);
  return data;
}
