/**
 * @module image-data
 * Decoded layout pixels (gray, RGB or opaque RGBA) as the RGBA a canvas takes.
 */

import type { RawImage } from "../../shared/image.js";

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
