import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";
import { L3cError } from "./errors.js";
import {
  bitsPerSubpixel,
  FIXED_HEADER_BYTES,
  Layout,
  NO_MODEL,
  parseHeader,
  parseHeaderPrefix,
  subpixels,
  writeStream,
} from "./format.js";

function stream(width: number, height: number, tileSize = 64) {
  const cols = Math.ceil(width / tileSize);
  const rows = Math.ceil(height / tileSize);
  const tiles = Array.from({ length: cols * rows }, (_, i) => ({
    payload: new Uint8Array([1, i, i + 1, 0, 0, 0, 0, 0, 0, 0]),
    pixelCrc: 0x01020304 + i,
  }));
  return writeStream({ layout: Layout.RGB8, width, height, tileSize, modelId: NO_MODEL, tiles });
}

describe("format header", () => {
  it("crc32 matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("writes and parses a header with a tile index", () => {
    const bytes = stream(130, 70);
    const h = parseHeader(bytes);
    expect(h).toMatchObject({ width: 130, height: 70, tileSize: 64, tileCount: 6, layout: 1, version: 1 });
    expect(h.headerSize).toBe(FIXED_HEADER_BYTES + 6 * 8 + 4);
    expect(h.tiles[5]).toMatchObject({
      x: 128,
      y: 64,
      width: 2,
      height: 6,
      length: 10,
      pixelCrc: 0x01020309,
    });
    expect(h.tiles[1].offset).toBe(h.headerSize + 10);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x4c, 0x33, 0x43, 1, 0, 1, 0]);
    // little-endian width
    expect(bytes[8] | (bytes[9] << 8)).toBe(130);
  });

  it.each([
    ["magic", (b: Uint8Array) => (b[1] = 0), "not an l3c stream (bad magic)"],
    ["version", (b: Uint8Array) => (b[4] = 2), "unsupported l3c format version"],
    ["flags", (b: Uint8Array) => (b[5] = 1), "invalid l3c header"],
    ["layout", (b: Uint8Array) => (b[6] = 9), "invalid l3c header"],
    ["width 0", (b: Uint8Array) => b.fill(0, 8, 12), "invalid l3c header"],
    ["tile size", (b: Uint8Array) => (b[16] = 65), "invalid l3c header"],
    ["tile count", (b: Uint8Array) => (b[20] = 7), "invalid l3c header"],
    ["header crc", (b: Uint8Array) => (b[30] ^= 1), "l3c header checksum mismatch"],
  ])("rejects a bad %s with a typed error", (_name, mutate, message) => {
    const b = stream(130, 70);
    mutate(b);
    expect(() => parseHeader(b)).toThrow(L3cError);
    expect(() => parseHeader(b)).toThrow(message);
  });

  it("rejects truncated streams and trailing bytes", () => {
    const b = stream(130, 70);
    for (const n of [0, 3, 10, 55, 80, b.length - 1])
      expect(() => parseHeader(b.subarray(0, n))).toThrow(L3cError);
    expect(() => parseHeader(b.subarray(0, b.length - 1))).toThrow("stream is truncated");
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    expect(() => parseHeader(longer)).toThrow("unexpected bytes after the last tile");
    // prefix mode reads just the header
    expect(parseHeaderPrefix(b.subarray(0, 56 + 6 * 8 + 4)).tileCount).toBe(6);
  });

  it("rejects tiles shorter than the 500-pixels-per-byte bound", () => {
    const tiles = [{ payload: new Uint8Array(8), pixelCrc: 0 }];
    const ok = writeStream({ layout: 1, width: 64, height: 64, tileSize: 64, modelId: NO_MODEL, tiles });
    expect(parseHeader(ok).tiles[0].length).toBe(8);
    tiles[0].payload = new Uint8Array(7);
    const short = writeStream({ layout: 1, width: 64, height: 64, tileSize: 64, modelId: NO_MODEL, tiles });
    expect(() => parseHeader(short)).toThrow("invalid l3c tile index");
  });

  it("checks limits before allocating anything", () => {
    const b = stream(1000, 1000, 64);
    expect(() => parseHeader(b, { maxPixels: 999_999 })).toThrow("stream exceeds a configured limit");
    expect(() => parseHeader(b, { maxTiles: 100 })).toThrow("stream exceeds a configured limit");
    expect(() => parseHeader(b, { maxStreamBytes: 100 })).toThrow("stream exceeds a configured limit");
    // A header claiming 65535x65535 at tile 64 (1M tiles) in a tiny buffer fails on limits first.
    const huge = stream(64, 64);
    huge.set([0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0], 8);
    expect(() => parseHeader(huge)).toThrow(L3cError);
  });

  it("validates writer arguments sharp-style", () => {
    const base = { layout: Layout.RGB8, width: 10, height: 10, tileSize: 64, modelId: NO_MODEL, tiles: [] };
    expect(() => writeStream({ ...base, width: 0 } as never)).toThrow(
      expect.objectContaining({
        detail: "Expected integer between 1 and 65535 for width but received 0 of type number",
      }),
    );
    expect(() => writeStream({ ...base, tileSize: 65 })).toThrow(L3cError);
    expect(() => writeStream({ ...base, modelId: new Uint8Array(3) })).toThrow(L3cError);
    expect(() => writeStream(base)).toThrow("invalid argument");
  });
});

describe("sub-pixels (what bpsp counts)", () => {
  it("three per pixel, one for gray; the alpha of RGBA is not coded", () => {
    expect(subpixels({ width: 4, height: 2, layout: Layout.RGB8 })).toBe(24);
    expect(subpixels({ width: 4, height: 2, layout: Layout.GRAY8 })).toBe(8);
    expect(subpixels({ width: 4, height: 2, layout: Layout.RGBA8_OPAQUE })).toBe(24);
    expect(subpixels({ width: 4, height: 2, channels: 1 })).toBe(8);
    expect(subpixels({ width: 4, height: 2, channels: 4 })).toBe(24);
    expect(bitsPerSubpixel(3, { width: 4, height: 2, channels: 3 })).toBe(1);
  });
});
