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
function overPixelLimit(width: number, height: number, maxPixels: number): L3cError {
  return new L3cError("LIMIT_EXCEEDED", `${width}x${height} pixels, over the limit of ${maxPixels}`);
}

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
  if (format === "jxl") return encodeJxl(await encodeImageFile(img, "ppm"), img);
  if (format === "ppm") {
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
