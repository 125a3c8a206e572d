/**
 * @module image-io
 * Image files <-> raw pixels with sharp. Inputs are decoded as stored (no EXIF rotation,
 * no colour conversion): the codec is lossless on exactly these pixels. Images that the
 * format cannot hold losslessly are refused with UNSUPPORTED_IMAGE.
 */

import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import { invalidOption, L3cError } from "../../shared/errors.js";
import type { RawImage } from "../../shared/image.js";
import { encodeJxl } from "./jxl.js";
import { encodePnm, overPixelLimit, parsePnm } from "./pnm.js";

/**
 * Decode PNG, JPEG, WebP, TIFF, PNM, ... into 8-bit gray, RGB or RGBA pixels. A gray file
 * (sharp's space `b-w`, with or without an opaque alpha) comes back as 1 channel.
 */
export async function readImage(input: string | Uint8Array, maxPixels = 2 ** 28): Promise<RawImage> {
  const bytes = typeof input === "string" ? new Uint8Array(await readFile(input)) : input;
  const pnm = parsePnm(bytes, maxPixels);
  if (pnm) return pnm;
  input = bytes;
  let meta: Metadata;
  try {
    // Header only: the pixel limit is checked below, as LIMIT_EXCEEDED, not by sharp (its
    // limitInputPixels error would read as an unreadable image).
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new L3cError("UNSUPPORTED_IMAGE", `not a readable image (${(e as Error).message})`, { cause: e });
  }
  const [w, h] = [meta.width ?? 0, meta.height ?? 0];
  if (w * h > maxPixels) throw overPixelLimit(w, h, maxPixels);
  if (meta.depth && meta.depth !== "uchar" && meta.depth !== "char") {
    throw new L3cError(
      "UNSUPPORTED_IMAGE",
      `${meta.depth} samples: only 8 bits per channel are coded (16-bit is refused, not truncated)`,
    );
  }
  if ((meta.pages ?? 1) > 1)
    throw new L3cError("UNSUPPORTED_IMAGE", "multi-page/animated images are not supported");
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(input, { limitInputPixels: maxPixels }).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new L3cError("UNSUPPORTED_IMAGE", (e as Error).message, { cause: e });
  }
  const { width, height, channels } = out.info;
  let data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  if (channels === 2) {
    // gray + alpha: keep it only if the alpha is fully opaque
    for (let i = 1; i < data.length; i += 2) {
      if (data[i] !== 255)
        throw new L3cError("UNSUPPORTED_IMAGE", "image has transparent pixels (alpha is not coded)");
    }
    const g = new Uint8Array(width * height);
    for (let i = 0; i < g.length; i++) g[i] = data[2 * i];
    return { width, height, channels: 1, data: g };
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new L3cError("UNSUPPORTED_IMAGE", `${channels} channels`);
  }
  if (meta.space === "b-w" && channels !== 1) {
    const gray = grayOf(data, channels);
    if (gray) return { width, height, channels: 1, data: gray };
  }
  if (data.byteOffset % 1 !== 0) data = data.slice();
  return { width, height, channels, data };
}

/**
 * The one channel of a gray image that sharp handed back as RGB(A) (its raw output is
 * sRGB: each gray value copied to R, G and B): undefined unless every pixel has R = G = B
 * and an opaque alpha, so the gray image is exactly the pixels sharp read.
 */
function grayOf(data: Uint8Array, channels: 3 | 4): Uint8Array | undefined {
  const g = new Uint8Array(data.length / channels);
  for (let i = 0, j = 0; j < g.length; i += channels, j++) {
    const v = data[i];
    if (data[i + 1] !== v || data[i + 2] !== v || (channels === 4 && data[i + 3] !== 255)) return undefined;
    g[j] = v;
  }
  return g;
}

/** What `l3c decode` writes to files. */
export const OUTPUT_FORMATS = ["png", "webp", "ppm"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** What encodeImageFile writes: the file formats, and AVIF and JPEG XL for the backend's answers. */
export type ImageFormat = OutputFormat | "avif" | "jxl";

export function formatFromPath(path: string): OutputFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === "pgm" || ext === "pnm" || ext === "pam") return "ppm";
  if ((OUTPUT_FORMATS as readonly string[]).includes(ext)) return ext as OutputFormat;
  throw invalidOption("output", "a .png, .webp, .ppm or .pgm file", path);
}

/**
 * Encode pixels losslessly as PNG, WebP, AVIF or PPM/PGM (alpha dropped there: it is 255).
 * 1 channel is a gray PNG or a PGM (P5); WebP has no gray, so it is RGB with R = G = B.
 */
export async function encodeImageFile(img: RawImage, format: ImageFormat): Promise<Uint8Array> {
  if (format === "jxl") return encodeJxl(img);
  if (format === "ppm") return encodePnm(img);
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  const buf =
    format === "png"
      ? // a 1-channel image as a gray PNG: sharp writes RGB unless told the colour space
        await (img.channels === 1 ? s.toColourspace("b-w") : s).png({ compressionLevel: 6 }).toBuffer()
      : format === "webp"
        ? await s.webp({ lossless: true }).toBuffer()
        : await s.avif({ lossless: true }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function writeImageFile(
  path: string,
  img: RawImage,
  format = formatFromPath(path),
): Promise<number> {
  const bytes = await encodeImageFile(img, format);
  await writeFile(path, bytes);
  return bytes.length;
}
