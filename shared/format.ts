/**
 * @module format
 * The `.l3c` stream, format version 1. The specification is SPEC.md (this header and
 * tile index: §2; the order of every check a reader makes and its error code: §2.6);
 * this comment is a summary for readers of the code. `parseHeader` and `writeStream` are
 * the reference reader and writer, shared by every tier.
 *
 * All multi-byte integers are **little-endian**. Offsets are in bytes.
 *
 * ```
 *  0        4    5     6      7      8           12          16          20          24
 *  +--------+----+-----+------+------+-----------+-----------+-----------+-----------+
 *  | magic  |ver |flags|layout| rsvd |  width    |  height   | tile_size | tile_count|
 *  |89 4C 33 43| u8 | u8  |  u8  | u8=0 |   u32     |   u32     |   u32     |   u32     |
 *  +--------+----+-----+------+------+-----------+-----------+-----------+-----------+
 *  24                                                        56
 *  +---------------------------------------------------------+
 *  | model_id: 32 bytes, SHA-256 of the model's manifest      |
 *  +---------------------------------------------------------+
 *  56: tile index, tile_count entries of 8 bytes, in raster order of tiles
 *  +-----------------------+-----------------------+
 *  | byte_length u32       | pixel_crc32 u32       |   x tile_count
 *  +-----------------------+-----------------------+
 *  56 + 8 tile_count:
 *  +-----------------------+
 *  | header_crc32 u32      |  CRC-32 of bytes [0, 56 + 8 tile_count)
 *  +-----------------------+
 *  header_size = 60 + 8 tile_count; then the tile payloads, concatenated in index order.
 * ```
 *
 * Fields:
 * - `magic` = 0x89 'L' '3' 'C' (0x89 catches 7-bit and text-mode transfers, as in PNG).
 * - `ver` = 1. A reader refuses other versions (`UNSUPPORTED_VERSION`).
 * - `flags` and `rsvd` must be 0 in version 1.
 * - `layout`: 1 = RGB8 (3 bytes per pixel, R G B); 2 = GRAY8 (1 byte per pixel; coded
 *   as R = G = B, decoded back to one channel); 3 = RGBA8_OPAQUE (4 bytes per pixel
 *   whose alpha is 255 everywhere; coded as RGB, decoded with alpha = 255). Images with
 *   non-opaque alpha or more than 8 bits per channel are refused by encoders
 *   (`UNSUPPORTED_IMAGE`): they are never coded lossily.
 * - `width`, `height`: 1..65535 each, and width * height <= the reader's `maxPixels`.
 * - `tile_size`: side of the square tiles, a multiple of 8 in [64, 4096]. Tiles cover
 *   the image in raster order; the last column/row of tiles may be narrower/shorter.
 *   `tile_count` must equal ceil(width / tile_size) * ceil(height / tile_size).
 * - `model_id`: the SHA-256 of the model manifest (which lists the SHA-256 of every
 *   model file), so a stream names exactly the weights that coded it. All zeros means
 *   "no model": every tile must then be stored (mode 0).
 * - `byte_length`: length of the tile's payload, >= max(1, floor(w h / 500)) for a tile
 *   of w x h pixels: a coded sub-pixel costs at least -log2(65281 / 65536) > 0.0056 bits
 *   (16-bit CDFs), so no valid tile is shorter, and a reader that rejects shorter ones
 *   (`BAD_TILE_INDEX`) never decodes more than 500 pixels per stream byte. The payloads
 *   exactly fill the rest of the stream: header_size + sum(byte_length) = stream length.
 * - `pixel_crc32`: CRC-32 (crc32.ts) of the tile's decoded pixels in the output layout,
 *   rows top to bottom, pixels left to right, channels interleaved. Checked after every
 *   decode (`PIXEL_CHECKSUM`).
 *
 * Tile payload: one mode byte, then
 * - mode 0 (stored): the tile's pixels in the output layout, uncompressed
 *   (byte_length = 1 + w * h * bytes_per_pixel);
 * - mode 1 (coded): one range-coder stream (SPEC.md §3) produced by the model named
 *   in `model_id`; the model defines the symbol order (SPEC.md §4, §5) and its CDFs are
 *   built as SPEC.md §6 says, adjusted by an adaptive stage (§7) when the model's config
 *   names one. Tiles are independent (adaptive state starts afresh in every tile), so any
 *   tile decodes alone.
 *
 * A reader checks every limit before it allocates: stream length, pixel count, tile
 * count; it never trusts a length field before comparing it with the bytes present.
 */

import { crc32 } from "./crc32.js";
import { expectInteger, invalidOption, L3cError } from "./errors.js";

export const MAGIC = Object.freeze([0x89, 0x4c, 0x33, 0x43]);
/** Media type of a stream over HTTP (vendor tree, RFC 6838); file extension `.l3c`. */
export const MEDIA_TYPE = "image/vnd.l3c";
export const FORMAT_VERSION = 1;
export const FIXED_HEADER_BYTES = 56;
export const INDEX_ENTRY_BYTES = 8;
export const MIN_TILE_SIZE = 64;
export const MAX_TILE_SIZE = 4096;
export const MAX_SIDE = 65535;
export const DEFAULT_TILE_SIZE = 256;

export const Layout = Object.freeze({ RGB8: 1, GRAY8: 2, RGBA8_OPAQUE: 3 });
export type LayoutId = 1 | 2 | 3;
export const LAYOUT_NAMES: Record<LayoutId, string> = { 1: "rgb8", 2: "gray8", 3: "rgba8-opaque" };

/**
 * Sub-pixels an image or stream codes: three per pixel, one for gray (the alpha of
 * RGBA8_OPAQUE is not coded). What bpsp counts: see {@link bitsPerSubpixel}.
 */
export function subpixels(
  img: { width: number; height: number } & ({ layout: LayoutId } | { channels: number }),
): number {
  const gray = "layout" in img ? img.layout === Layout.GRAY8 : img.channels === 1;
  return img.width * img.height * (gray ? 1 : 3);
}

/** Bits per sub-pixel of `bytes` bytes coding `img` (a header or a raw image). */
export function bitsPerSubpixel(bytes: number, img: Parameters<typeof subpixels>[0]): number {
  return (bytes * 8) / subpixels(img);
}

/** Bytes per pixel of a layout's decoded output. */
export function bytesPerPixel(layout: LayoutId): number {
  return layout === 1 ? 3 : layout === 2 ? 1 : 4;
}

/** A `tile_size` the format allows: a multiple of 8 in [64, 4096]. */
export function expectTileSize(name: string, value: unknown): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < MIN_TILE_SIZE ||
    value > MAX_TILE_SIZE ||
    value % 8 !== 0
  ) {
    throw invalidOption(name, `multiple of 8 between ${MIN_TILE_SIZE} and ${MAX_TILE_SIZE}`, value);
  }
  return value;
}

export const TileMode = Object.freeze({ STORED: 0, CODED: 1 });

export interface Limits {
  /** Largest width * height accepted (default 2^28, as sharp's limitInputPixels). */
  maxPixels: number;
  /** Largest tile count accepted (default 65536). */
  maxTiles: number;
  /** Largest stream accepted, in bytes (default 1 GiB). */
  maxStreamBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPixels: 2 ** 28,
  maxTiles: 65536,
  maxStreamBytes: 2 ** 30,
});

export interface TileEntry {
  /** Tile position in pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Payload offset from the start of the stream, and length. */
  offset: number;
  length: number;
  pixelCrc: number;
}

export interface Header {
  version: number;
  layout: LayoutId;
  width: number;
  height: number;
  tileSize: number;
  tileCount: number;
  /** 32 bytes. */
  modelId: Uint8Array;
  /** Hex of modelId. */
  modelHash: string;
  headerSize: number;
  tiles: TileEntry[];
}

export const NO_MODEL = new Uint8Array(32);

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

export function tileGrid(width: number, height: number, tileSize: number): { cols: number; rows: number } {
  return { cols: Math.ceil(width / tileSize), rows: Math.ceil(height / tileSize) };
}

/** The shortest valid payload of a w x h tile (see `byte_length`). */
export function minTileBytes(w: number, h: number): number {
  return Math.max(1, Math.floor((w * h) / 500));
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function resolveLimits(limits?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/**
 * Parse and validate a stream's header and tile index. Only the header and index are
 * read; the payloads are located, not decoded. Throws `L3cError` on any violation.
 */
export function parseHeader(bytes: Uint8Array, limits?: Partial<Limits>): Header {
  return readHeader(bytes, limits, false);
}

/**
 * {@link parseHeader} of the first bytes of a stream (`HEAD` and `?info` read a prefix):
 * the same checks, except that the payloads' lengths are not checked against the
 * stream's length.
 */
export function parseHeaderPrefix(bytes: Uint8Array, limits?: Partial<Limits>): Header {
  return readHeader(bytes, limits, true);
}

function readHeader(bytes: Uint8Array, limits: Partial<Limits> | undefined, prefixOnly: boolean): Header {
  const lim = resolveLimits(limits);
  if (!prefixOnly && bytes.length > lim.maxStreamBytes) {
    throw new L3cError(
      "LIMIT_EXCEEDED",
      `stream of ${bytes.length} bytes > maxStreamBytes ${lim.maxStreamBytes}`,
    );
  }
  if (bytes.length < 4) throw new L3cError("TRUNCATED", `${bytes.length} bytes`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new L3cError("BAD_MAGIC");
  if (bytes.length < FIXED_HEADER_BYTES)
    throw new L3cError("TRUNCATED", `${bytes.length} bytes, header needs 56`);
  const version = bytes[4];
  if (version !== FORMAT_VERSION) throw new L3cError("UNSUPPORTED_VERSION", `version ${version}`);
  if (bytes[5] !== 0 || bytes[7] !== 0) throw new L3cError("BAD_HEADER", "reserved bits set");
  const layout = bytes[6];
  if (layout < 1 || layout > 3) throw new L3cError("BAD_HEADER", `layout ${layout}`);
  const width = u32(bytes, 8);
  const height = u32(bytes, 12);
  if (width < 1 || width > MAX_SIDE || height < 1 || height > MAX_SIDE) {
    throw new L3cError("BAD_HEADER", `size ${width}x${height}`);
  }
  if (width * height > lim.maxPixels) {
    throw new L3cError("LIMIT_EXCEEDED", `${width}x${height} pixels > maxPixels ${lim.maxPixels}`);
  }
  const tileSize = u32(bytes, 16);
  if (tileSize < MIN_TILE_SIZE || tileSize > MAX_TILE_SIZE || tileSize % 8 !== 0) {
    throw new L3cError("BAD_HEADER", `tile size ${tileSize}`);
  }
  const { cols, rows } = tileGrid(width, height, tileSize);
  const tileCount = u32(bytes, 20);
  if (tileCount !== cols * rows) {
    throw new L3cError("BAD_HEADER", `tile count ${tileCount}, expected ${cols * rows}`);
  }
  if (tileCount > lim.maxTiles)
    throw new L3cError("LIMIT_EXCEEDED", `${tileCount} tiles > maxTiles ${lim.maxTiles}`);
  const headerSize = FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * tileCount + 4;
  if (bytes.length < headerSize)
    throw new L3cError("TRUNCATED", `${bytes.length} bytes, header needs ${headerSize}`);
  const crc = crc32(bytes.subarray(0, headerSize - 4));
  if (crc !== u32(bytes, headerSize - 4)) throw new L3cError("HEADER_CHECKSUM");
  const modelId = bytes.slice(24, 56);
  const tiles: TileEntry[] = [];
  let offset = headerSize;
  for (let t = 0; t < tileCount; t++) {
    const length = u32(bytes, FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * t);
    const pixelCrc = u32(bytes, FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * t + 4);
    const tx = (t % cols) * tileSize;
    const ty = Math.floor(t / cols) * tileSize;
    const tw = Math.min(tileSize, width - tx);
    const th = Math.min(tileSize, height - ty);
    if (length < minTileBytes(tw, th)) throw new L3cError("BAD_TILE_INDEX", `tile ${t} of ${length} bytes`);
    tiles.push({ x: tx, y: ty, width: tw, height: th, offset, length, pixelCrc });
    offset += length;
  }
  if (!prefixOnly) {
    if (offset > bytes.length)
      throw new L3cError("TRUNCATED", `tiles need ${offset} bytes, stream has ${bytes.length}`);
    if (offset < bytes.length) throw new L3cError("TRAILING_DATA", `${bytes.length - offset} bytes`);
  }
  return {
    version,
    layout: layout as LayoutId,
    width,
    height,
    tileSize,
    tileCount,
    modelId,
    modelHash: toHex(modelId),
    headerSize,
    tiles,
  };
}

export interface StreamSpec {
  layout: LayoutId;
  width: number;
  height: number;
  tileSize: number;
  modelId: Uint8Array;
  /** Payloads (mode byte included) and pixel CRCs, in tile raster order. */
  tiles: Array<{ payload: Uint8Array; pixelCrc: number }>;
}

/** Assemble a stream from tile payloads (the writer of the layout above). */
export function writeStream(spec: StreamSpec): Uint8Array {
  const { layout, width, height, tileSize, modelId, tiles } = spec;
  if (layout !== 1 && layout !== 2 && layout !== 3) {
    throw new L3cError("INVALID_ARGUMENT", `Expected 1, 2 or 3 for layout but received ${String(layout)}`);
  }
  expectInteger("width", width, 1, MAX_SIDE);
  expectInteger("height", height, 1, MAX_SIDE);
  expectTileSize("tileSize", tileSize);
  if (!(modelId instanceof Uint8Array) || modelId.length !== 32) {
    throw new L3cError("INVALID_ARGUMENT", "modelId must be 32 bytes");
  }
  const { cols, rows } = tileGrid(width, height, tileSize);
  if (tiles.length !== cols * rows) {
    throw new L3cError("INVALID_ARGUMENT", `expected ${cols * rows} tiles but received ${tiles.length}`);
  }
  const headerSize = FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * tiles.length + 4;
  let total = headerSize;
  for (const t of tiles) {
    if (t.payload.length < 1 || t.payload.length > 0xffffffff) {
      throw new L3cError("INVALID_ARGUMENT", `tile payload of ${t.payload.length} bytes`);
    }
    total += t.payload.length;
  }
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  out[6] = layout;
  putU32(out, 8, width);
  putU32(out, 12, height);
  putU32(out, 16, tileSize);
  putU32(out, 20, tiles.length);
  out.set(modelId, 24);
  let off = headerSize;
  tiles.forEach((t, i) => {
    putU32(out, FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * i, t.payload.length);
    putU32(out, FIXED_HEADER_BYTES + INDEX_ENTRY_BYTES * i + 4, t.pixelCrc >>> 0);
    out.set(t.payload, off);
    off += t.payload.length;
  });
  putU32(out, headerSize - 4, crc32(out.subarray(0, headerSize - 4)));
  return out;
}
