/**
 * @module image
 * Raw 8-bit images as the codec sees them, and the tile views the format defines.
 * Pixels are row-major with channels interleaved; `channels` is 1 (gray), 3 (RGB) or
 * 4 (RGBA, accepted only when every alpha is 255).
 */

import { expectInteger, L3cError } from "./errors.js";
import { bytesPerPixel, Layout, type LayoutId, MAX_SIDE } from "./format.js";

export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** Validate an input image and choose its layout; refuses what cannot be coded losslessly. */
export function layoutOf(img: RawImage): LayoutId {
  expectInteger("width", img.width, 1, MAX_SIDE);
  expectInteger("height", img.height, 1, MAX_SIDE);
  if (img.channels !== 1 && img.channels !== 3 && img.channels !== 4) {
    throw new L3cError("UNSUPPORTED_IMAGE", `${String(img.channels)} channels (expected 1, 3 or 4)`);
  }
  const expected = img.width * img.height * img.channels;
  if (!(img.data instanceof Uint8Array) || img.data.length !== expected) {
    throw new L3cError("INVALID_ARGUMENT", `pixel buffer of ${img.data?.length} bytes, expected ${expected}`);
  }
  if (img.channels === 1) return Layout.GRAY8;
  if (img.channels === 3) return Layout.RGB8;
  const d = img.data;
  for (let i = 3; i < d.length; i += 4) {
    if (d[i] !== 255) {
      throw new L3cError("UNSUPPORTED_IMAGE", "image has transparent pixels (alpha is not coded)");
    }
  }
  return Layout.RGBA8_OPAQUE;
}

/** Copy a tile of `img` (layout pixels) out as packed RGB (what the models code). */
export function tileToRgb(img: RawImage, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const c = img.channels;
  const d = img.data;
  let o = 0;
  for (let r = 0; r < h; r++) {
    let i = ((y + r) * img.width + x) * c;
    for (let q = 0; q < w; q++, i += c) {
      if (c === 1) {
        out[o++] = d[i];
        out[o++] = d[i];
        out[o++] = d[i];
      } else {
        out[o++] = d[i];
        out[o++] = d[i + 1];
        out[o++] = d[i + 2];
      }
    }
  }
  return out;
}

/** Copy a tile of `img` out in its own layout (stored tiles, checksums). */
export function tileBytes(img: RawImage, x: number, y: number, w: number, h: number): Uint8Array {
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) {
    const i = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(i, i + w * c), r * w * c);
  }
  return out;
}

/**
 * Convert packed RGB tile pixels to the layout (SPEC.md §2.5). Gray requires R = G = B
 * (otherwise the stream is corrupt: `BAD_TILE`).
 */
export function rgbToLayout(rgb: Uint8Array, layout: LayoutId): Uint8Array {
  if (layout === Layout.RGB8) return rgb;
  const n = rgb.length / 3;
  const out = new Uint8Array(n * bytesPerPixel(layout));
  if (layout === Layout.GRAY8) {
    for (let i = 0; i < n; i++) {
      const v = rgb[3 * i];
      if (rgb[3 * i + 1] !== v || rgb[3 * i + 2] !== v) {
        throw new L3cError("BAD_TILE", "gray tile decoded with R, G, B not equal");
      }
      out[i] = v;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    out[4 * i] = rgb[3 * i];
    out[4 * i + 1] = rgb[3 * i + 1];
    out[4 * i + 2] = rgb[3 * i + 2];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Write layout pixels of a tile into the full image buffer. */
export function placeTile(dst: RawImage, tile: Uint8Array, x: number, y: number, w: number, h: number): void {
  const c = dst.channels;
  for (let r = 0; r < h; r++)
    dst.data.set(tile.subarray(r * w * c, (r + 1) * w * c), ((y + r) * dst.width + x) * c);
}

export function channelsOf(layout: LayoutId): 1 | 3 | 4 {
  return bytesPerPixel(layout) as 1 | 3 | 4;
}
