import { describe, expect, it } from "vitest";
import { toRgba } from "./image-data.js";

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
