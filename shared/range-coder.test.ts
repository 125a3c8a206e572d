import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mulberry32, randomCdf } from "../test/helpers/random.js";
import { L3cError } from "./errors.js";
import { validateCdf } from "./logistic-mixture.js";
import { PROB_ONE, RangeDecoder, RangeEncoder } from "./range-coder.js";

describe("range coder", () => {
  it("round-trips random symbols under random CDFs (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 2000 }), (seed, count) => {
        const rnd = mulberry32(seed);
        const cdfs = Array.from({ length: 8 }, () => randomCdf(rnd, 2 + Math.floor(rnd() * 300)));
        const symbols: number[] = [];
        const which: number[] = [];
        const enc = new RangeEncoder();
        for (let i = 0; i < count; i++) {
          const c = Math.floor(rnd() * cdfs.length);
          const s = Math.floor(rnd() * (cdfs[c].length - 1));
          which.push(c);
          symbols.push(s);
          enc.encodeSymbol(cdfs[c], s);
        }
        const bytes = enc.finish();
        const dec = new RangeDecoder(bytes);
        for (let i = 0; i < count; i++) expect(dec.decodeSymbol(cdfs[which[i]])).toBe(symbols[i]);
        // A valid stream is consumed exactly: the decoder never reads past its end.
        expect(dec.position).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 200 },
    );
  });

  it("handles extreme intervals (size 1 and size 65535) and carry chains", () => {
    const enc = new RangeEncoder();
    const seq: Array<[number, number]> = [];
    const rnd = mulberry32(7);
    for (let i = 0; i < 20000; i++) {
      const kind = rnd();
      const iv: [number, number] =
        kind < 0.3
          ? [PROB_ONE - 1, 1]
          : kind < 0.6
            ? [0, PROB_ONE - 1]
            : kind < 0.8
              ? [0, 1]
              : [1, PROB_ONE - 1];
      seq.push(iv);
      enc.encode(iv[0], iv[1]);
    }
    const dec = new RangeDecoder(enc.finish());
    for (const [start, size] of seq) {
      const t = dec.target();
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThan(start + size);
      dec.consume(start, size);
    }
  });

  it("codes within 1% of the ideal cross-entropy on long streams", () => {
    const rnd = mulberry32(12345);
    for (const n of [2, 25, 256]) {
      const cdf = randomCdf(rnd, n, 3);
      const enc = new RangeEncoder();
      let ideal = 0;
      const count = 200000;
      for (let i = 0; i < count; i++) {
        // Sample from the CDF itself so the stream is typical.
        const u = Math.floor(rnd() * PROB_ONE);
        let s = 0;
        while (cdf[s + 1] <= u) s++;
        ideal += -Math.log2((cdf[s + 1] - cdf[s]) / PROB_ONE);
        enc.encodeSymbol(cdf, s);
      }
      const bits = enc.finish().length * 8;
      expect(bits / ideal).toBeLessThan(1.01);
      expect(bits / ideal).toBeGreaterThan(0.99);
    }
  });

  it("rejects invalid intervals with typed errors", () => {
    const enc = new RangeEncoder();
    expect(() => enc.encode(0, 0)).toThrow(L3cError);
    expect(() => enc.encode(65535, 2)).toThrow("invalid argument");
    expect(() => enc.encode(-1, 2)).toThrow(L3cError);
    expect(() => enc.encodeSymbol([0, 65536], 1)).toThrow(L3cError);
  });

  it("reports truncated and corrupt streams as typed errors", () => {
    expect(() => new RangeDecoder(new Uint8Array(3))).toThrow("stream is truncated");
    expect(() => new RangeDecoder(new Uint8Array([1, 0, 0, 0, 0]))).toThrow("range-coded data is corrupt");
    const enc = new RangeEncoder();
    const cdf = randomCdf(mulberry32(1), 256);
    for (let i = 0; i < 1000; i++) enc.encodeSymbol(cdf, i % 256);
    const bytes = enc.finish();
    const dec = new RangeDecoder(bytes.subarray(0, bytes.length >> 1));
    expect(() => {
      for (let i = 0; i < 1000; i++) dec.decodeSymbol(cdf);
    }).toThrow(L3cError);
  });

  it("test CDFs are valid", () => {
    const rnd = mulberry32(3);
    for (let i = 0; i < 100; i++) validateCdf(randomCdf(rnd, 2 + i));
  });
});
