import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { ImageSizeError, imageSize } from "./image-size.js";

const raw = (w: number, h: number) =>
  sharp(Buffer.alloc(w * h * 3, 90), { raw: { width: w, height: h, channels: 3 } });

describe("imageSize reads dimensions from headers only", () => {
  it.each([
    ["png", (s: Sharp) => s.png()],
    ["jpeg", (s: Sharp) => s.jpeg()],
    ["jpeg", (s: Sharp) => s.jpeg({ progressive: true })],
    ["webp", (s: Sharp) => s.webp({ lossless: true })],
    ["webp", (s: Sharp) => s.webp({ quality: 50 })],
    ["webp", (s: Sharp) => s.webp({ quality: 50 }).withMetadata()],
  ] as const)("%s", async (format, enc) => {
    for (const [w, h] of [
      [1, 1],
      [321, 77],
      [1000, 3],
    ]) {
      const bytes = new Uint8Array(await enc(raw(w, h)).toBuffer());
      expect(imageSize(bytes)).toEqual({ format, width: w, height: h });
    }
  });

  it("refuses what it cannot read", () => {
    for (const b of [
      new Uint8Array(0),
      new TextEncoder().encode("GIF89a........"),
      Uint8Array.of(0x89, 0x50),
    ]) {
      expect(() => imageSize(b)).toThrow(ImageSizeError);
    }
    expect(() => imageSize(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9, 0, 0, 0, 0, 0, 0))).toThrow(
      "JPEG without a frame header",
    );
  });
});

describe("imageSize on hostile input", () => {
  it("never throws anything but ImageSizeError, on noise or on cut and mangled headers", async () => {
    const fc = (await import("fast-check")).default;
    const seeds = [
      new Uint8Array(await raw(33, 17).png().toBuffer()),
      new Uint8Array(await raw(33, 17).jpeg().toBuffer()),
      new Uint8Array(await raw(33, 17).webp({ lossless: true }).toBuffer()),
      new Uint8Array(await raw(33, 17).webp().toBuffer()),
    ];
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.nat(200),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (s, cut, edits) => {
          const b = seeds[s].slice(0, cut);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          try {
            const r = imageSize(b);
            expect(Number.isInteger(r.width) && Number.isInteger(r.height)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(ImageSizeError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
