/**
 * @module decoder
 * Decoding `.l3c` in the page: the header is parsed here (limits checked before any
 * allocation), the tiles are decoded by a pool of Web Workers (worker.ts), each tile's
 * pixel CRC is checked there, and the tiles are placed into one `ImageData`.
 */

import { expectInteger, L3cError } from "../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import { channelsOf, placeTile, type RawImage } from "../../shared/image.js";
import { toRgba } from "./image-data.js";
import { poolFor } from "./pool.js";

export interface DecodeOptions {
  /**
   * URL of the folder holding `l3c-worker.js`, `ort/` and `models/` (default: the folder
   * this module was loaded from, `/_l3c/` on the edge).
   */
  base?: string | URL;
  /** Decode workers on the page (default: cores, at most 4; first call per base wins). */
  workers?: number;
  /** Largest width x height decoded (default 40 M: an RGBA buffer of 160 MB). */
  maxPixels?: number;
  /** Tiles not yet started when it aborts are dropped (`DEADLINE_EXCEEDED`). */
  signal?: AbortSignal;
  /** Called after each tile with (done, total). */
  onProgress?: (done: number, total: number) => void;
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
  const header = parseHeader(bytes, { maxPixels });
  const img: RawImage = {
    width: header.width,
    height: header.height,
    channels: channelsOf(header.layout),
    data: new Uint8Array(header.width * header.height * channelsOf(header.layout)),
  };
  const pool = poolFor(new URL("l3c-worker.js", base), workers);
  let done = 0;
  await Promise.all(
    header.tiles.map(async (t, i) => {
      const pixels = await pool.run({ base, stream: bytes, tile: i, maxPixels }, opts.signal);
      placeTile(img, pixels, t.x, t.y, t.width, t.height);
      opts.onProgress?.(++done, header.tileCount);
    }),
  );
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

/** Decode `src` and draw it into `canvas` (resized to the image). */
export async function drawL3c(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  src: string | URL,
  opts: DecodeOptions = {},
): Promise<ImageData> {
  const data = await decodeL3c(src, opts);
  canvas.width = data.width;
  canvas.height = data.height;
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new L3cError("INTERNAL", "no 2d context");
  ctx.putImageData(data, 0, 0);
  return data;
}
