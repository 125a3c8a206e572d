import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ADAPT_TAU_MIN, ADAPT_TAU_U } from "./adapt-tables.js";
import {
  ADAPT,
  AdaptiveTile,
  AdaptiveZ,
  type Adjustment,
  adaptScheme,
  tempOffset,
  tuning,
} from "./adaptive-stage.js";
import { tsCore } from "./entropy-core.js";
import { MixtureCdf } from "./logistic-mixture.js";

/**
 * Channel 0 of the base stage (step 1: raster order, causal neighbours) over a 64 x 8
 * tile: `prepare` loads the network's mixture at every pixel, `value()` is the pixel
 * coded there, `seen` is shown each adjustment. Returns the last adjustment.
 */
function runBaseStage(
  scheme: number,
  prepare: (mix: MixtureCdf) => void,
  value: () => number,
  seen?: (x: number, adj: Adjustment) => void,
): Adjustment {
  const tile = new AdaptiveTile(64, 8, scheme);
  const mix = new MixtureCdf(4);
  const moments = new Float64Array(3);
  const adj = { madd: 0, lsadd: 0, center: 0 };
  for (let y = 0; y < 8; y++) {
    tile.rowStart(0);
    for (let x = 0; x < 64; x++) {
      prepare(mix);
      mix.moments(moments, ADAPT.LOGISTIC_VAR);
      tile.adjust(0, 0, 1, y, x, 0, moments, [0, 0, 0], [0, 0, 0], adj);
      seen?.(x, adj);
      tile.update(0, y * 64 + x, value());
    }
    tile.rowEnd(0);
  }
  return adj;
}

describe("adaptive stage adapt-1", () => {
  it("pins the normative threshold table and constants", () => {
    const h = createHash("sha256");
    h.update(Buffer.from(ADAPT_TAU_U.buffer));
    expect(ADAPT_TAU_U.length).toBe(141);
    expect(ADAPT_TAU_MIN).toBe(-77);
    expect(h.digest("hex")).toBe(PINNED);
    expect(ADAPT).toMatchObject({ FEATURES: 30, STAGES: 10, LAMBDA: 30, DECAY_LS: 0.98, DECAY_TEMP: 0.99 });
  });

  it("turns E / S into round(64 ln(E / S)) clamped to [-77, 64], 0 without statistics", () => {
    expect(tempOffset(1, 0)).toBe(0);
    expect(tempOffset(0, 0)).toBe(0);
    expect(tempOffset(5, 5)).toBe(0);
    expect(tempOffset(1e-9, 1)).toBe(-77);
    expect(tempOffset(1e9, 1)).toBe(64);
    for (let i = 0; i < 2000; i++) {
      const r = Math.exp(-1.3 + (2.4 * i) / 2000);
      const want = Math.max(-77, Math.min(64, Math.round(64 * Math.log(r)))) | 0;
      // exact thresholds vs a libm log: they can differ only at a rounding boundary
      const got = tempOffset(r, 1);
      const frac = Math.abs(((64 * Math.log(r)) % 1) + 1) % 1;
      if (Math.abs(frac - 0.5) > 1e-9) expect(got, `ratio ${r}`).toBe(want);
    }
  });

  it("learns a constant offset of the network's mean from decoded pixels only", () => {
    // a network that is always 3 levels too low, on a flat tile of value 100
    const madds: number[] = [];
    runBaseStage(
      1,
      (mix) => mix.prepare(256, 1, { logits: [0], means: [256 * 97], logScales: [0] }), // s = 1: sd 1.81, clip at 2.81
      () => 100,
      (x, adj) => {
        if (x === 32) madds.push(adj.madd);
      },
    );
    expect(madds[0]).toBe(0); // nothing learnt before the first row is coded
    for (let y = 1; y < 8; y++) expect(madds[y]).toBeGreaterThanOrEqual(madds[y - 1]);
    expect(madds[7]).toBeGreaterThan(2 * 256); // towards +3 levels (Q8), within the clip (2.81)
    expect(madds[7]).toBeLessThanOrEqual(Math.floor(2.82 * 256));
  });
});

const PINNED = "a5ed54eebd5fe48d15aca7bb25873ae9e9c639047d81aedcaecaf21c0ed956e6";

describe("adaptive stage adapt-2", () => {
  it("names its schemes; an unknown name is no scheme", () => {
    const names = [undefined, "adapt-1", "adapt-2", "adapt-3", "adapt-4", "adapt-5", "adapt-6"];
    expect(names.map(adaptScheme)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(adaptScheme("adapt-7")).toBeUndefined();
    expect(ADAPT.RHO).toBe(0.25);
    expect(() => new AdaptiveTile(8, 8, 7)).toThrow(RangeError);
  });

  it("contracts every component's mean toward the centre by RHO, rounding half up, within the clamp", () => {
    const mix = new MixtureCdf(4);
    // means 90, 110 and 100.5 levels (Q8), equal weights; centre 100 levels
    mix.prepare(256, 3, {
      logits: [0, 0, 0],
      means: [256 * 90, 256 * 110, 256 * 100 + 128],
      logScales: [0, 0, 0],
    });
    const before = mix.table();
    mix.contract(ADAPT.RHO - 1, 256 * 100);
    // 90 -> 97.5 levels exactly; 110 -> 102.5; 100.5 -> 100.125, floor(-0.75 * 128 + 0.5) = -96
    const want = new MixtureCdf(4).prepare(256, 3, {
      logits: [0, 0, 0],
      means: [256 * 97 + 128, 256 * 102 + 128, 256 * 100 + 32],
      logScales: [0, 0, 0],
    });
    expect(Array.from(mix.table())).toEqual(Array.from(want.table()));
    expect(Array.from(mix.table())).not.toEqual(Array.from(before));
    // a centre outside the mean range: contracted means are clamped to [-256 n, 512 n]
    const far = new MixtureCdf(2)
      .prepare(4, 1, { logits: [0], means: [2000], logScales: [0] })
      .contract(-0.75, 1e6);
    const clamped = new MixtureCdf(2).prepare(4, 1, { logits: [0], means: [2048], logScales: [0] });
    expect(Array.from(far.table())).toEqual(Array.from(clamped.table()));
  });

  it("clips the regression's correction at 3 sd + 1 instead of sd + 1", () => {
    // a network 10 levels too low (s = 1: sd 1.81): adapt-1 stops at 2.81 levels, adapt-2 at 6.44
    const run = (scheme: number) =>
      runBaseStage(
        scheme,
        (mix) => mix.prepare(256, 1, { logits: [0], means: [256 * 90], logScales: [0] }),
        () => 100,
      ).madd;
    expect(run(1)).toBeLessThanOrEqual(Math.floor(2.82 * 256));
    expect(run(2)).toBeGreaterThan(5 * 256);
    expect(run(2)).toBeLessThanOrEqual(Math.floor(6.45 * 256));
  });

  it("compares errors with the contracted mixture's variance: a sharper temperature than adapt-1's", () => {
    // two components 8 levels apart, pixels 100 +- 2 at random: adapt-1 expects the
    // spread (variance ~17) and sharpens to its limit; adapt-2 expects RHO^2 of it (~2.2)
    const run = (scheme: number) => {
      let seed = 12345;
      return runBaseStage(
        scheme,
        (mix) => mix.prepare(256, 2, { logits: [0, 0], means: [256 * 96, 256 * 104], logScales: [-64, -64] }),
        () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed & 1024 ? 102 : 98;
        },
      );
    };
    const one = run(1);
    const two = run(2);
    expect(one.center).toBe(256 * 100 + one.madd);
    expect(one.lsadd).toBe(ADAPT_TAU_MIN);
    expect(two.lsadd).toBeGreaterThan(0);
  });
});

/**
 * The z2 stage over C channels of an h x w grid: `prepare` loads the network's mixture of
 * symbol (c, y, x), `value` gives the symbol coded there; returns every adjustment.
 */
function runZ(
  C: number,
  h: number,
  w: number,
  prepare: (mix: MixtureCdf, c: number, y: number, x: number) => void,
  value: (c: number, y: number, x: number) => number,
): Adjustment[][] {
  const za = new AdaptiveZ(C, h, w);
  const mix = new MixtureCdf(4);
  const moments = new Float64Array(3);
  const out: Adjustment[][] = [];
  for (let c = 0; c < C; c++) {
    out.push([]);
    for (let y = 0; y < h; y++) {
      za.rowStart(y);
      for (let x = 0; x < w; x++) {
        prepare(mix, c, y, x);
        mix.moments(moments, ADAPT.LOGISTIC_VAR);
        const adj = { madd: 0, lsadd: 0, center: 0 };
        za.adjust(c, y, x, moments, adj);
        out[c].push(adj);
        za.update(c, y, x, value(c, y, x));
      }
      za.rowEnd();
    }
  }
  return out;
}

describe("adaptive stage adapt-3 (the z2 stage)", () => {
  it("learns a constant offset per channel, starting each channel from zero", () => {
    // channel 0 is 3 levels above the network's mean, channel 1 2 levels below
    const adj = runZ(
      2,
      8,
      16,
      (mix) => mix.prepare(25, 1, { logits: [0], means: [256 * 12], logScales: [0] }),
      (c) => (c === 0 ? 15 : 10),
    );
    for (const c of [0, 1]) expect(adj[c][0].madd).toBe(0); // nothing learnt on a channel's first row
    const last = adj[0][8 * 16 - 1].madd;
    expect(last).toBeGreaterThan(2 * 256);
    expect(last).toBeLessThan(3.2 * 256);
    expect(adj[1][8 * 16 - 1].madd).toBeLessThan(-256);
    expect(adj[0][8 * 16 - 1].center).toBe(256 * 12 + last);
  });

  it("uses the earlier channel's residuals on both sides of the symbol", () => {
    // channel 1 repeats channel 0's deviation from the network, which is known only from
    // channel 0 (the same position and its four neighbours): the stage follows it
    const dev = (y: number, x: number) => ((x * 5 + y * 3) % 7) - 3;
    const adj = runZ(
      2,
      16,
      16,
      (mix) => mix.prepare(25, 1, { logits: [0], means: [256 * 12], logScales: [-128] }),
      (_c, y, x) => 12 + dev(y, x),
    );
    let hit = 0;
    for (let i = 8 * 16; i < 16 * 16; i++) {
      const d = adj[1][i].madd / 256;
      const want = dev(Math.floor(i / 16), i % 16);
      if (Math.abs(d - want) < 0.5) hit++;
    }
    expect(hit).toBeGreaterThan(0.9 * 8 * 16);
    // channel 0 alone has no such signal
    let hit0 = 0;
    for (let i = 8 * 16; i < 16 * 16; i++)
      if (Math.abs(adj[0][i].madd / 256 - dev(Math.floor(i / 16), i % 16)) < 0.5) hit0++;
    expect(hit0).toBeLessThan(0.5 * 8 * 16);
  });

  it("sharpens the temperature when errors are small against the contracted spread", () => {
    // two components 6 levels apart around the true value: ZRHO^2 of their spread remains
    const adj = runZ(
      1,
      8,
      16,
      (mix) => mix.prepare(25, 2, { logits: [0, 0], means: [256 * 9, 256 * 15], logScales: [-256, -256] }),
      () => 12,
    );
    expect(adj[0][0].lsadd).toBe(0);
    expect(adj[0][8 * 16 - 1].lsadd).toBeLessThan(-20);
  });
});

/**
 * One pixel stage (`index`, step 1) of a w x h tile whose network gives every sub-pixel
 * the same logistic (Q8 mean `256 mean`, Q7 log-scale `logScale`); sub-pixel i is
 * `pixel(i, r)`, r a fresh pseudo-random number from `seed`. `code` encodes the stage
 * under a scheme, `decode` decodes bytes back to the pixels.
 */
function oneStage(
  w: number,
  h: number,
  index: number,
  mean: number,
  logScale: number,
  seed: number,
  pixel: (i: number, r: number) => number,
) {
  const params = new Int32Array(w * h * 12);
  const rgb = new Uint8Array(w * h * 3);
  let a = seed;
  for (let i = 0; i < w * h; i++)
    for (let c = 0; c < 3; c++) {
      params[i * 12 + 3 + c] = 256 * mean;
      params[i * 12 + 6 + c] = logScale;
      a = (a * 1103515245 + 12345) % 2 ** 31;
      rgb[i * 3 + c] = pixel(i, a);
    }
  const geo = { index, step: 1, oy: 0, ox: 0 };
  return {
    rgb,
    code(adapt: number): Uint8Array {
      const enc = tsCore.encoder({ width: w, height: h, adapt, symbols: 3 * w * h });
      enc.stage(geo, params, 1, rgb.slice());
      return enc.finish();
    },
    decode(bytes: Uint8Array, adapt: number): Uint8Array {
      const back = new Uint8Array(rgb.length);
      tsCore.decoder(bytes, { width: w, height: h, adapt }).stage(geo, params, 1, back);
      return back;
    },
  };
}

describe("adaptive stage adapt-4 (secondary estimation)", () => {
  // One stage of 64 x 64 pixels whose network says "a logistic at 128, scale 3" while the
  // pixels sit at 128 - 6 or 128 + 6: no shift or temperature fits two peaks, the maps of
  // the coded shares do
  // (log-scale 141 = 128 ln 3)
  const { rgb, code, decode } = oneStage(
    64,
    64,
    0,
    128,
    141,
    7,
    (_, a) => 128 + (a % 2 === 0 ? -6 : 6) + ((a >> 8) % 3) - 1,
  );

  it("learns a shape the network's mixture lacks: fewer bytes than adapt-3, and they decode", () => {
    const b3 = code(3);
    const b4 = code(4);
    expect(b4.length).toBeLessThan(0.85 * b3.length);
    expect(Buffer.from(decode(b4, 4)).equals(Buffer.from(rgb))).toBe(true);
  });

  it("starts from the identity map: the first symbol costs what adapt-3 gives it, within rounding", () => {
    const mix = new MixtureCdf(1).prepare(256, 1, { logits: [0], means: [256 * 128], logScales: [141] });
    const plain = mix.table();
    const id = Float64Array.from({ length: ADAPT.SSE_BINS + 1 }, (_, j) => (j * 2 ** 24) / ADAPT.SSE_BINS);
    const mapped = mix.secondary(id, id).table();
    for (let v = 0; v <= 256; v++) expect(Math.abs(mapped[v] - plain[v])).toBeLessThanOrEqual(1);
  });
});

describe("adaptive stage adapt-6 (adapt-5 retuned)", () => {
  it("runs the pixel stages with ADAPT6's constants, level 1 (stages 7-9) decaying fastest; adapt-1..5 keep ADAPT's", () => {
    expect(tuning(6)).toEqual({
      lambda: 20,
      decayLs: [0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.93, 0.93, 0.93],
      decayTemp: 0.98,
      rho: 0.4,
      ssePrior: 2,
    });
    for (const scheme of [1, 5])
      expect(tuning(scheme)).toEqual({
        lambda: ADAPT.LAMBDA,
        decayLs: Array(ADAPT.STAGES).fill(ADAPT.DECAY_LS),
        decayTemp: ADAPT.DECAY_TEMP,
        rho: ADAPT.RHO,
        ssePrior: ADAPT.SSE_PRIOR,
      });
    expect(new AdaptiveTile(8, 8, 6).tuning).toEqual(tuning(6));
  });

  it("codes other bytes than adapt-5 from the same tile, and they decode to the pixels", () => {
    // a level-1 stage index (7): adapt-6 decays its rows by 0.93
    const { rgb, code, decode } = oneStage(
      48,
      40,
      7,
      120,
      200,
      11,
      (i, a) => 110 + ((i % 48) >> 2) + (a % 5),
    );
    const b5 = code(5);
    const b6 = code(6);
    expect(Buffer.from(b6).equals(Buffer.from(b5))).toBe(false);
    expect(Buffer.from(decode(b6, 6)).equals(Buffer.from(rgb))).toBe(true);
  });
});
