import { describe, expect, it } from "vitest";
import { subsample, toRgba } from "./image-data.js";

describe("toRgba", () => {
  it("expands gray and RGB with opaque alpha and copies RGBA", () => {
    expect(Array.from(toRgba({ width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 200) }))).toEqual([
      7, 7, 7, 255, 200, 200, 200, 255,
    ]);
    expect(
      Array.from(toRgba({ width: 1, height: 2, channels: 3, data: Uint8Array.of(1, 2, 3, 4, 5, 6) })),
    ).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    const rgba = Uint8Array.of(9, 8, 7, 255);
    expect(Array.from(toRgba({ width: 1, height: 1, channels: 4, data: rgba }))).toEqual([9, 8, 7, 255]);
  });
});

describe("subsample", () => {
  it("keeps the pixels at multiples of step, ceil(w / step) x ceil(h / step)", () => {
    // 5 x 3 RGB tile, pixel (x, y) = [x, y, 9].
    const rgb = new Uint8Array(5 * 3 * 3);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) rgb.set([x, y, 9], (y * 5 + x) * 3);
    const p = subsample(rgb, 5, 3, 2);
    expect([p.step, p.width, p.height]).toEqual([2, 3, 2]);
    expect(Array.from(p.rgb)).toEqual([0, 0, 9, 2, 0, 9, 4, 0, 9, 0, 2, 9, 2, 2, 9, 4, 2, 9]);
  });
});
