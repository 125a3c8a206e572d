/**
 * @module resume
 * `--resume`: whether an existing output already holds what this run would write, so it
 * can be skipped. Both checks use the stream's tile checksums (CRC-32 of each tile's
 * pixels, format.ts), so neither runs the model:
 * - encode: the existing `.l3c` parses (header checksum, payloads exactly fill the file),
 *   has the input's size and layout, this run's model and tile size, and every tile
 *   checksum is that of the input's pixels. The payloads are not decoded again: they were
 *   verified when written, and the write was atomic (`l3c decode` checks them).
 * - decode: the existing image has the stream's size and every tile checksum is that of
 *   its pixels (in the stream's layout: a PPM has no alpha, a WebP no gray).
 */

import { crc32 } from "../../shared/crc32.js";
import { type Header, type LayoutId, parseHeader } from "../../shared/format.js";
import { channelsOf, layoutOf, type RawImage, tileBytes } from "../../shared/image.js";

/** `img` as `layout`'s channels, when that changes no pixel value; else undefined. */
function asLayout(img: RawImage, layout: LayoutId): RawImage | undefined {
  const want = channelsOf(layout);
  const c = img.channels;
  if (c === want) return img;
  const n = img.width * img.height;
  const d = img.data;
  const out = new Uint8Array(n * want);
  for (let i = 0; i < n; i++) {
    const r = d[i * c];
    const g = c === 1 ? r : d[i * c + 1];
    const b = c === 1 ? r : d[i * c + 2];
    if (c === 4 && d[i * c + 3] !== 255) return undefined;
    if (want === 1 && (g !== r || b !== r)) return undefined;
    const o = i * want;
    out[o] = r;
    if (want === 1) continue;
    out[o + 1] = g;
    out[o + 2] = b;
    if (want === 4) out[o + 3] = 255;
  }
  return { width: img.width, height: img.height, channels: want, data: out };
}

/** Whether the image's pixels are the ones the stream's tile checksums name. */
export function pixelsMatch(h: Header, img: RawImage): boolean {
  if (img.width !== h.width || img.height !== h.height) return false;
  const px = asLayout(img, h.layout);
  if (!px) return false;
  return h.tiles.every((t) => crc32(tileBytes(px, t.x, t.y, t.width, t.height)) === t.pixelCrc);
}

/** Whether `stream` is `img` coded with the model `modelId` (hex) in tiles of `tileSize`. */
export function streamIsCurrent(
  stream: Uint8Array,
  img: RawImage,
  modelId: string,
  tileSize: number,
): boolean {
  let h: Header;
  try {
    h = parseHeader(stream);
  } catch {
    return false;
  }
  return (
    h.layout === layoutOf(img) && h.modelHash === modelId && h.tileSize === tileSize && pixelsMatch(h, img)
  );
}
