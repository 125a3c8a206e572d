/**
 * @module container
 * Tiles in and out of a stream: stored tiles, coded tiles through a {@link TileModel},
 * checksums. The model that turns RGB tiles into range-coded bytes is injected, so this
 * module (and the format) runs without any neural network runtime. What a reader checks,
 * in which order, with which error: SPEC.md §2.6.
 */

import { crc32 } from "./crc32.js";
import { expectInteger, L3cError } from "./errors.js";
import {
  bytesPerPixel,
  DEFAULT_TILE_SIZE,
  expectTileSize,
  type Header,
  type Limits,
  NO_MODEL,
  parseHeader,
  type TileEntry,
  TileMode,
  tileGrid,
  toHex,
  writeStream,
} from "./format.js";
import {
  channelsOf,
  layoutOf,
  placeTile,
  type RawImage,
  rgbToLayout,
  tileBytes,
  tileToRgb,
} from "./image.js";

/** A model that codes packed-RGB tiles (the mode-1 payload, without the mode byte). */
export interface TileModel {
  /** 32-byte model id (SHA-256 of the model manifest). */
  readonly id: Uint8Array;
  encodeTile(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array>;
  /** `onLevel`, when given, sees each coarse level as it is decoded (see {@link LevelCallback}). */
  decodeTile(data: Uint8Array, width: number, height: number, onLevel?: LevelCallback): Promise<Uint8Array>;
}

/**
 * Observer of a tile's coarse levels during a decode: called when every pixel at
 * multiples of `step` (8, 4, 2 for the pyramid) is decoded, with the tile's packed RGB
 * buffer as it is then (the other pixels are not yet decoded). The buffer is the decoder's
 * own and changes after the call returns: copy what you need. A returned promise is
 * awaited before decoding goes on. It never changes what is decoded.
 */
export type LevelCallback = (step: number, rgb: Uint8Array) => void | Promise<void>;

/** Finds a model by its hex id; returns undefined when it is not available. */
export type ModelResolver = (hexId: string) => TileModel | undefined | Promise<TileModel | undefined>;

export interface EncodeOptions {
  model?: TileModel;
  /** Checked between tiles: an aborted signal stops the work with DEADLINE_EXCEEDED. */
  signal?: AbortSignal;
  tileSize?: number;
  /** Called after each tile with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Tiles in flight at once (default 1). Useful when the model runs tiles off the main
   * thread (a worker pool); the stream is the same whatever the value.
   */
  concurrency?: number;
  /**
   * Store a tile raw when coding would make it larger (default true). False codes every
   * tile with the model whatever the size: for conformance vectors and tests, which must
   * exercise the model even with an untrained one.
   */
  storedFallback?: boolean;
}

/**
 * Runs fn(0..n-1) with at most `limit` calls in flight and returns the results in index
 * order. After a failure or an abort nothing new starts; the calls in flight are awaited
 * (so none is left running unobserved) and the first error is thrown.
 */
export async function mapTiles<T>(
  n: number,
  limit: number,
  fn: (i: number) => Promise<T>,
  after?: (done: number) => void,
  signal?: AbortSignal,
): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < n) {
      const i = next++;
      try {
        out[i] = await fn(i);
        if (failure) return;
        done++;
        after?.(done);
      } catch (e) {
        failure ??= { error: e };
        return;
      }
      if (signal?.aborted)
        failure ??= { error: new L3cError("DEADLINE_EXCEEDED", `after ${done} of ${n} tiles`) };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, n)) }, lane));
  if (failure) throw failure.error;
  return out;
}

export interface EncodeStats {
  storedTiles: number;
  codedTiles: number;
}

export async function encodeImage(
  img: RawImage,
  opts: EncodeOptions = {},
): Promise<{ bytes: Uint8Array } & EncodeStats> {
  const layout = layoutOf(img);
  const tileSize = expectTileSize("tileSize", opts.tileSize ?? DEFAULT_TILE_SIZE);
  const concurrency = expectInteger("concurrency", opts.concurrency ?? 1, 1, 256);
  const { cols, rows } = tileGrid(img.width, img.height, tileSize);
  const codeTile = async (t: number) => {
    const x = (t % cols) * tileSize;
    const y = Math.floor(t / cols) * tileSize;
    const w = Math.min(tileSize, img.width - x);
    const h = Math.min(tileSize, img.height - y);
    const raw = tileBytes(img, x, y, w, h);
    let payload: Uint8Array | undefined;
    if (opts.model) {
      const coded = await opts.model.encodeTile(tileToRgb(img, x, y, w, h), w, h);
      if (coded.length < raw.length || opts.storedFallback === false) {
        payload = new Uint8Array(coded.length + 1);
        payload[0] = TileMode.CODED;
        payload.set(coded, 1);
      }
    }
    if (!payload) {
      payload = new Uint8Array(raw.length + 1);
      payload[0] = TileMode.STORED;
      payload.set(raw, 1);
    }
    return { payload, pixelCrc: crc32(raw) };
  };
  const tiles = await mapTiles(
    cols * rows,
    concurrency,
    codeTile,
    (done) => opts.onProgress?.(done, cols * rows),
    opts.signal,
  );
  const stored = tiles.filter((t) => t.payload[0] === TileMode.STORED).length;
  const bytes = writeStream({
    layout,
    width: img.width,
    height: img.height,
    tileSize,
    modelId: opts.model?.id ?? NO_MODEL,
    tiles,
  });
  return { bytes, storedTiles: stored, codedTiles: tiles.length - stored };
}

export interface DecodeOptions {
  models?: ModelResolver;
  limits?: Partial<Limits>;
  onProgress?: (done: number, total: number) => void;
  /** Checked between tiles: an aborted signal stops the work with DEADLINE_EXCEEDED. */
  signal?: AbortSignal;
  /** Tiles in flight at once (default 1); see {@link EncodeOptions.concurrency}. */
  concurrency?: number;
}

async function resolveModel(header: Header, models?: ModelResolver): Promise<TileModel | undefined> {
  if (header.modelId.every((b) => b === 0)) return undefined;
  const m = models ? await models(header.modelHash) : undefined;
  if (!m) throw new L3cError("UNKNOWN_MODEL", `model ${header.modelHash}`);
  if (toHex(m.id) !== header.modelHash)
    throw new L3cError("UNKNOWN_MODEL", "resolver returned another model");
  return m;
}

/** Decode one tile's layout pixels and check its CRC. */
export async function decodeTile(
  bytes: Uint8Array,
  header: Header,
  tile: TileEntry,
  model: TileModel | undefined,
  onLevel?: LevelCallback,
): Promise<Uint8Array> {
  const payload = bytes.subarray(tile.offset, tile.offset + tile.length);
  const bpp = bytesPerPixel(header.layout);
  const n = tile.width * tile.height;
  let pixels: Uint8Array;
  if (payload[0] === TileMode.STORED) {
    if (payload.length !== 1 + n * bpp)
      throw new L3cError("BAD_TILE", `stored tile of ${payload.length} bytes`);
    pixels = payload.slice(1);
    if (header.layout === 3)
      for (let i = 3; i < pixels.length; i += 4)
        if (pixels[i] !== 255) throw new L3cError("BAD_TILE", "alpha");
  } else if (payload[0] === TileMode.CODED) {
    if (!model) throw new L3cError("BAD_TILE", "coded tile in a stream without a model");
    const rgb = await model.decodeTile(payload.subarray(1), tile.width, tile.height, onLevel);
    if (rgb.length !== n * 3) throw new L3cError("BAD_TILE", "model returned a wrong-sized tile");
    pixels = rgbToLayout(rgb, header.layout);
  } else {
    throw new L3cError("BAD_TILE", `tile mode ${payload[0]}`);
  }
  if (crc32(pixels) !== tile.pixelCrc) throw new L3cError("PIXEL_CHECKSUM");
  return pixels;
}

/** Decode a whole stream. Every tile's checksum is verified before pixels are returned. */
export async function decodeImage(
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): Promise<RawImage & { header: Header }> {
  const header = parseHeader(bytes, opts.limits);
  const model = await resolveModel(header, opts.models);
  const channels = channelsOf(header.layout);
  const img: RawImage = {
    width: header.width,
    height: header.height,
    channels,
    data: new Uint8Array(header.width * header.height * channels),
  };
  await mapTiles(
    header.tileCount,
    expectInteger("concurrency", opts.concurrency ?? 1, 1, 256),
    async (i) => {
      const tile = header.tiles[i];
      placeTile(img, await decodeTile(bytes, header, tile, model), tile.x, tile.y, tile.width, tile.height);
    },
    (done) => opts.onProgress?.(done, header.tileCount),
    opts.signal,
  );
  return { ...img, header };
}

/** Decode a single tile by index (tiles are independent). */
export async function decodeTileAt(
  bytes: Uint8Array,
  index: number,
  opts: DecodeOptions = {},
): Promise<{ pixels: Uint8Array; tile: TileEntry; header: Header }> {
  const header = parseHeader(bytes, opts.limits);
  expectInteger("index", index, 0, header.tileCount - 1);
  const model = await resolveModel(header, opts.models);
  const tile = header.tiles[index];
  return { pixels: await decodeTile(bytes, header, tile, model), tile, header };
}
