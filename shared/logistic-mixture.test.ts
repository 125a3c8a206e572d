import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../test/helpers/random.js";
import { coefShift, LOG_SCALE_MAX, LOG_SCALE_MIN, MixtureCdf, validateCdf } from "./logistic-mixture.js";
import { EXP_Q20, SIGMOID_Q20 } from "./mixture-tables.js";
import { RangeDecoder, RangeEncoder } from "./range-coder.js";

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

interface Params {
  logits: Int32Array;
  means: Int32Array;
  logScales: Int32Array;
}

function randomParams(rnd: () => number, k: number, n: number): Params {
  const logits = new Int32Array(k);
  const means = new Int32Array(k);
  const logScales = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    logits[j] = Math.round((rnd() * 6 - 3) * 128);
    means[j] = Math.round((rnd() * (n + 8) - 4) * 256);
    logScales[j] = Math.round(
      LOG_SCALE_MIN + rnd() * (Math.min(LOG_SCALE_MAX, 128 * Math.log(n)) - LOG_SCALE_MIN),
    );
  }
  return { logits, means, logScales };
}

/** The float mixture the integer CDF approximates, on the same (quantized) parameters. */
function floatPmf(p: Params, n: number): Float64Array {
  const k = p.logits.length;
  const lw = Array.from(p.logits, (l) => l / 128);
  const m = Math.max(...lw);
  const e = lw.map((l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  const pmf = new Float64Array(n);
  for (let j = 0; j < k; j++) {
    const mu = p.means[j] / 256;
    const s = Math.exp(p.logScales[j] / 128);
    for (let v = 0; v < n; v++) {
      const hi = v === n - 1 ? 1 : sigmoid((v + 0.5 - mu) / s);
      const lo = v === 0 ? 0 : sigmoid((v - 0.5 - mu) / s);
      pmf[v] += (e[j] / z) * (hi - lo);
    }
  }
  return pmf;
}

describe("integer logistic mixture CDF", () => {
  it("pins the normative tables", () => {
    const h = createHash("sha256");
    h.update(SIGMOID_Q20.join(","));
    h.update(";");
    h.update(EXP_Q20.join(","));
    expect(SIGMOID_Q20.length).toBe(2049);
    expect(EXP_Q20.length).toBe(2561);
    expect(SIGMOID_Q20[0]).toBe(1 << 19);
    expect(EXP_Q20[512]).toBe(1 << 20);
    expect(h.digest("hex")).toBe("9e371d2861572d5f273fb772f8657b378fd2aa38056559263392607d688a51a5");
  });

  it("produces valid CDFs (0, strictly increasing, 65536) for random and extreme parameters", () => {
    const rnd = mulberry32(1);
    const mix = new MixtureCdf();
    for (let i = 0; i < 500; i++) {
      const n = [2, 3, 25, 256, 4096][i % 5];
      const k = 1 + (i % 10);
      const p = randomParams(rnd, k, n);
      if (i % 7 === 0) p.logScales.fill(-100000); // clamped
      if (i % 11 === 0) p.means.fill(2 ** 30);
      if (i % 13 === 0) p.logits.fill(-(2 ** 30));
      validateCdf(mix.prepare(n, k, { logits: p.logits, means: p.means, logScales: p.logScales }).table());
    }
  });

  it("cross-entropy is within 1% of the float mixture's", () => {
    const rnd = mulberry32(99);
    const mix = new MixtureCdf();
    for (const n of [25, 256]) {
      let hInt = 0;
      let hFloat = 0;
      for (let i = 0; i < 300; i++) {
        const p = randomParams(rnd, 10, n);
        const pmf = floatPmf(p, n);
        const t = mix.prepare(n, 10, { logits: p.logits, means: p.means, logScales: p.logScales }).table();
        // Expected code length under symbols drawn from the float model.
        for (let v = 0; v < n; v++) {
          if (pmf[v] < 1e-12) continue;
          hFloat += pmf[v] * -Math.log2(pmf[v]);
          hInt += pmf[v] * -Math.log2((t[v + 1] - t[v]) / 65536);
        }
      }
      expect(hInt / hFloat).toBeLessThan(1.01);
      expect(hInt / hFloat).toBeGreaterThan(0.999);
    }
  });

  it("codes symbols with on-demand CDFs and decodes them by bisection", () => {
    const rnd = mulberry32(5);
    const mix = new MixtureCdf();
    const ps: Params[] = [];
    const vs: number[] = [];
    const enc = new RangeEncoder();
    for (let i = 0; i < 3000; i++) {
      const n = i % 2 ? 256 : 25;
      const p = randomParams(rnd, 10, n);
      const v = Math.floor(rnd() * n);
      mix.prepare(n, 10, { logits: p.logits, means: p.means, logScales: p.logScales }).encode(enc, v);
      ps.push(p);
      vs.push(v);
    }
    const dec = new RangeDecoder(enc.finish());
    for (let i = 0; i < vs.length; i++) {
      const p = ps[i];
      expect(
        mix
          .prepare(i % 2 ? 256 : 25, 10, { logits: p.logits, means: p.means, logScales: p.logScales })
          .decode(dec),
      ).toBe(vs[i]);
    }
  });

  it("reads strided planar parameters", () => {
    const k = 3;
    const hw = 4;
    const logits = new Int32Array(k * hw).map((_, i) => (i % 5) * 40);
    const means = new Int32Array(k * hw).map((_, i) => i * 700);
    const ls = new Int32Array(k * hw).map((_, i) => i * 10 - 50);
    const a = new MixtureCdf()
      .prepare(256, k, { logits, means, logScales: ls, offset: 2, stride: hw })
      .table();
    const b = new MixtureCdf()
      .prepare(256, k, {
        logits: [logits[2], logits[6], logits[10]],
        means: [means[2], means[6], means[10]],
        logScales: [ls[2], ls[6], ls[10]],
      })
      .table();
    expect(a).toEqual(b);
  });

  it("shifts means by coefficients with the specified rounding", () => {
    expect(coefShift(4096, 255)).toBe(32640); // +127.5 pixels in Q8
    expect(coefShift(4096, 0)).toBe(-32640);
    expect(coefShift(-4096, 0)).toBe(32640);
    expect(coefShift(1, 0)).toBe(-8); // floor(-255/32)
    expect(coefShift(99999, 255)).toBe(32640); // clamped to 4096
  });

  it("rejects bad alphabet and component counts with typed errors", () => {
    const mix = new MixtureCdf(10);
    expect(() => mix.prepare(1, 1, { logits: [0] })).toThrow("invalid argument");
    expect(() => mix.prepare(5000, 1, { logits: [0] })).toThrow("invalid argument");
    expect(() => mix.prepare(256, 11, { logits: [0] })).toThrow("invalid argument");
    expect(() => mix.prepare(256, 0, { logits: [0] })).toThrow("invalid argument");
    expect(() => validateCdf([0, 10, 10, 65536])).toThrow("invalid cdf");
    expect(() => validateCdf([1, 65536])).toThrow("invalid cdf");
    expect(() => validateCdf([0, 65535])).toThrow("invalid cdf");
  });
});
