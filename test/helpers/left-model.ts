/**
 * A tiny integer TileModel for tests: each sub-pixel is coded with a 2-component
 * logistic mixture centred on its left neighbour (or the pixel above, or 128), with the
 * G and B means shifted by the R value through coefficients. It exercises the container,
 * the mixture CDF and the range coder end to end without any neural network.
 */

import type { TileModel } from "../../shared/container.js";
import { L3cError } from "../../shared/errors.js";
import { coefShift, MixtureCdf } from "../../shared/logistic-mixture.js";
import { RangeDecoder, RangeEncoder } from "../../shared/range-coder.js";

export const LEFT_MODEL_ID = new Uint8Array(32).fill(0x1e);

function params(rgb: Uint8Array, w: number, i: number, c: number) {
  const p = i / 3;
  const x = p % w;
  const pred = x > 0 ? rgb[i - 3] : p >= w ? rgb[i - 3 * w] : 128;
  return { mean: pred * 256, c };
}

export class LeftModel implements TileModel {
  readonly id = LEFT_MODEL_ID;
  private mix = new MixtureCdf(2);
  private logits = new Int32Array([256, 0]);
  private means = new Int32Array(2);
  private ls = new Int32Array([128, 512]);

  private shifts = new Int32Array(2);

  private prep(rgb: Uint8Array, w: number, i: number, c: number): MixtureCdf {
    const { mean } = params(rgb, w, i, c);
    this.means[0] = mean;
    this.means[1] = mean;
    this.shifts[0] = c > 0 ? coefShift(1024, rgb[i - c]) - coefShift(1024, (rgb[i - c - 3] ?? 128) | 0) : 0;
    return this.mix.prepare(256, 2, {
      logits: this.logits,
      means: this.means,
      logScales: this.ls,
      shifts: this.shifts,
    });
  }

  async encodeTile(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    const enc = new RangeEncoder(width * height);
    for (let i = 0; i < width * height * 3; i++) this.prep(rgb, width, i, i % 3).encode(enc, rgb[i]);
    return enc.finish().slice();
  }

  async decodeTile(data: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    if (width * height > 1 << 22) throw new L3cError("LIMIT_EXCEEDED", "test model tile too large");
    const rgb = new Uint8Array(width * height * 3);
    const dec = new RangeDecoder(data);
    for (let i = 0; i < rgb.length; i++) rgb[i] = this.prep(rgb, width, i, i % 3).decode(dec);
    return rgb;
  }
}

/** A smooth synthetic photo-like test image. */
export function syntheticImage(width: number, height: number, channels: 1 | 3 | 4 = 3, seed = 1) {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const noise = (s >>> 29) - 4;
        const v = 128 + 60 * Math.sin((x + 7 * c) / 9) + 40 * Math.cos((y - 3 * c) / 13) + noise;
        data[(y * width + x) * channels + c] = c === 3 ? 255 : Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { width, height, channels, data };
}
