import { describe, expect, it } from "vitest";
import { LeftModel, syntheticImage } from "../test/helpers/left-model.js";
import { decodeImage, decodeTileAt, encodeImage, type TileModel } from "./container.js";
import { L3cError } from "./errors.js";
import { parseHeader, toHex } from "./format.js";

const model = new LeftModel();
const models = (id: string) => (id === toHex(model.id) ? model : undefined);

describe("container", () => {
  it("round-trips RGB with a model, stored tiles without one", async () => {
    const img = syntheticImage(150, 70);
    const coded = await encodeImage(img, { model, tileSize: 64 });
    expect(coded.codedTiles).toBe(6);
    expect(coded.bytes.length).toBeLessThan(img.data.length * 0.8);
    const out = await decodeImage(coded.bytes, { models });
    expect(out.data).toEqual(img.data);
    const stored = await encodeImage(img, { tileSize: 64 });
    expect(stored.storedTiles).toBe(6);
    expect((await decodeImage(stored.bytes)).data).toEqual(img.data);
  });

  it("codes gray and opaque RGBA losslessly and refuses transparency", async () => {
    for (const channels of [1, 4] as const) {
      const img = syntheticImage(70, 65, channels);
      const { bytes } = await encodeImage(img, { model, tileSize: 64 });
      const out = await decodeImage(bytes, { models });
      expect(out.channels).toBe(channels);
      expect(out.data).toEqual(img.data);
    }
    const rgba = syntheticImage(8, 8, 4);
    rgba.data[7] = 254;
    await expect(encodeImage(rgba)).rejects.toThrow("unsupported image");
    await expect(
      encodeImage({ width: 2, height: 2, channels: 2 as never, data: new Uint8Array(8) }),
    ).rejects.toThrow(L3cError);
    await expect(encodeImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).rejects.toThrow(
      "invalid argument",
    );
  });

  it("decodes one tile alone", async () => {
    const img = syntheticImage(200, 130);
    const { bytes } = await encodeImage(img, { model, tileSize: 64 });
    const { pixels, tile } = await decodeTileAt(bytes, 5, { models });
    expect(tile).toMatchObject({ x: 64, y: 64, width: 64, height: 64 });
    for (let r = 0; r < 64; r++) {
      const row = img.data.subarray(((64 + r) * 200 + 64) * 3, ((64 + r) * 200 + 128) * 3);
      expect(pixels.subarray(r * 192, (r + 1) * 192)).toEqual(row);
    }
    await expect(decodeTileAt(bytes, 99, { models })).rejects.toThrow("invalid argument");
  });

  it("names an unknown model with a typed error", async () => {
    const { bytes } = await encodeImage(syntheticImage(64, 64), { model });
    await expect(decodeImage(bytes)).rejects.toThrow("stream names a model that is not available");
  });

  it("never returns wrong pixels: a model that decodes differently is caught by the checksum", async () => {
    const img = syntheticImage(64, 64);
    const { bytes } = await encodeImage(img, { model });
    const liar: TileModel = {
      id: model.id,
      encodeTile: model.encodeTile.bind(model),
      async decodeTile(d, w, h) {
        const px = await model.decodeTile(d, w, h);
        px[100] ^= 1;
        return px;
      },
    };
    await expect(decodeImage(bytes, { models: () => liar })).rejects.toThrow(
      "decoded pixels do not match the stored checksum",
    );
  });

  it("reports progress per tile", async () => {
    const seen: string[] = [];
    const { bytes } = await encodeImage(syntheticImage(130, 64), {
      tileSize: 64,
      onProgress: (d, t) => seen.push(`${d}/${t}`),
    });
    expect(seen).toEqual(["1/3", "2/3", "3/3"]);
    expect(parseHeader(bytes).tileCount).toBe(3);
  });
});
