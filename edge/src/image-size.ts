/**
 * @module image-size
 * Width and height of a PNG, JPEG or WebP from its first bytes, without decoding it: the
 * demo checks its pixel limit before it asks the backend for any work.
 * PNG: IHDR (ISO/IEC 15948 §11.2.2); JPEG: the first SOFn marker (ITU T.81 §B.2.2);
 * WebP: the VP8, VP8L or VP8X chunk (RFC 9649 §2.5 - §2.7).
 */

export class ImageSizeError extends Error {}

export interface ImageSize {
  format: "png" | "jpeg" | "webp";
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32be = (b: Uint8Array, o: number) => u16be(b, o) * 65536 + u16be(b, o + 2);
const u24le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));

function png(b: Uint8Array): ImageSize {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") throw new ImageSizeError("PNG without IHDR");
  return { format: "png", width: u32be(b, 16), height: u32be(b, 20) };
}

function jpeg(b: Uint8Array): ImageSize {
  let o = 2;
  while (o + 9 <= b.length) {
    if (b[o] !== 0xff) throw new ImageSizeError("JPEG marker expected");
    const m = b[o + 1];
    if (m === 0xff) {
      o++;
      continue;
    }
    const len = u16be(b, o + 2);
    // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return { format: "jpeg", width: u16be(b, o + 7), height: u16be(b, o + 5) };
    }
    if (m === 0xd9 || m === 0xda) break;
    o += 2 + len;
  }
  throw new ImageSizeError("JPEG without a frame header");
}

function webp(b: Uint8Array): ImageSize {
  if (b.length < 30) throw new ImageSizeError("WebP too short");
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X") return { format: "webp", width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) throw new ImageSizeError("VP8L without signature");
    const v = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { format: "webp", width: (v & 0x3fff) + 1, height: ((v >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a)
      throw new ImageSizeError("VP8 without start code");
    return {
      format: "webp",
      width: (b[26] | (b[27] << 8)) & 0x3fff,
      height: (b[28] | (b[29] << 8)) & 0x3fff,
    };
  }
  throw new ImageSizeError(`WebP chunk ${JSON.stringify(chunk)}`);
}

/** Size of a PNG, JPEG or WebP; throws ImageSizeError for anything else. */
export function imageSize(b: Uint8Array): ImageSize {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG") return png(b);
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpeg(b);
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webp(b);
  throw new ImageSizeError("not a PNG, JPEG or WebP");
}
