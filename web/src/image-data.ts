/**
 * @module image-data
 * Decoded layout pixels (gray, RGB or opaque RGBA) as the RGBA a canvas takes, and a
 * tile's coarse level cut out of a partly decoded tile.
 */

import type { RawImage } from "../../shared/image.js";
import type { TilePreview } from "./protocol.js";

export function toRgba(img: RawImage): Uint8ClampedArray<ArrayBuffer> {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(n * 4);
  const d = img.data;
  if (img.channels === 4) {
    out.set(d);
    return out;
  }
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    if (img.channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = d[i];
    } else {
      out[o] = d[3 * i];
      out[o + 1] = d[3 * i + 1];
      out[o + 2] = d[3 * i + 2];
    }
    out[o + 3] = 255;
  }
  return out;
}

/** Every pixel of a w x h packed-RGB tile at multiples of `step`. */
export function subsample(rgb: Uint8Array, w: number, h: number, step: number): TilePreview {
  const pw = Math.ceil(w / step);
  const ph = Math.ceil(h / step);
  const out = new Uint8Array(pw * ph * 3);
  for (let y = 0, o = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++, o += 3) {
      const i = (y * step * w + x * step) * 3;
      out[o] = rgb[i];
      out[o + 1] = rgb[i + 1];
      out[o + 2] = rgb[i + 2];
    }
  }
  return { step, width: pw, height: ph, rgb: out };
}
