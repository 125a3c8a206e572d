/**
 * @module pnm
 * Binary PGM (P5) and PPM (P6) with 8-bit samples, read and written here because sharp
 * reads no PNM: the CLI's `.ppm`/`.pgm` files, PNM input, and what libjxl's tools exchange
 * with jxl.ts.
 */

import { L3cError } from "../../shared/errors.js";
import type { RawImage } from "../../shared/image.js";

/**
 * Parse binary PGM (P5) / PPM (P6) with maxval 255 (sharp reads no PNM). Returns
 * undefined when the bytes are not PNM.
 */
export function parsePnm(b: Uint8Array, maxPixels = 2 ** 28): RawImage | undefined {
  if (b.length < 2 || b[0] !== 0x50 || (b[1] !== 0x35 && b[1] !== 0x36)) return undefined;
  const channels = b[1] === 0x35 ? 1 : 3;
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3 && i < b.length && i < 1024) {
    const c = b[i];
    if (c === 0x23) {
      while (i < b.length && b[i] !== 0x0a) i++; // comment
    } else if (c >= 0x30 && c <= 0x39) {
      let v = 0;
      while (i < b.length && b[i] >= 0x30 && b[i] <= 0x39) v = v * 10 + (b[i++] - 0x30);
      fields.push(v);
      continue;
    } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      throw new L3cError("UNSUPPORTED_IMAGE", "malformed PNM header");
    }
    i++;
  }
  const [width, height, maxval] = fields;
  if (fields.length < 3 || !width || !height) throw new L3cError("UNSUPPORTED_IMAGE", "malformed PNM header");
  if (maxval !== 255)
    throw new L3cError("UNSUPPORTED_IMAGE", `PNM maxval ${maxval}: only 8-bit samples are coded`);
  if (width * height > maxPixels) throw overPixelLimit(width, height, maxPixels);
  const n = width * height * channels;
  const start = i + 1;
  if (b.length < start + n) throw new L3cError("UNSUPPORTED_IMAGE", "PNM data is truncated");
  return { width, height, channels, data: b.slice(start, start + n) };
}

/** LIMIT_EXCEEDED (413 in a server) for an image of more than `maxPixels` pixels. */
export function overPixelLimit(width: number, height: number, maxPixels: number): L3cError {
  return new L3cError("LIMIT_EXCEEDED", `${width}x${height} pixels, over the limit of ${maxPixels}`);
}

/** The image as binary PPM (P6), or PGM (P5) for 1 channel; an (opaque) alpha is dropped. */
export function encodePnm(img: RawImage): Uint8Array {
  const gray = img.channels === 1;
  const header = new TextEncoder().encode(`${gray ? "P5" : "P6"}\n${img.width} ${img.height}\n255\n`);
  const n = img.width * img.height;
  const body = new Uint8Array(n * (gray ? 1 : 3));
  if (img.channels === 4) for (let i = 0; i < n; i++) body.set(img.data.subarray(4 * i, 4 * i + 3), 3 * i);
  else body.set(img.data);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}
