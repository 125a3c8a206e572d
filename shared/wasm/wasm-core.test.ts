import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadWasmCore } from "../../node-codec/src/wasm-core-node.js";
import { type EntropyCore, type StageGeometry, tsCore } from "../entropy-core.js";
import { L3cError } from "../errors.js";

const cores: EntropyCore[] = [tsCore, loadWasmCore("wasm"), loadWasmCore("wasm-simd")];

/** The pyramid's ten pixel stages (l3c-model.ts). */
function stages(): StageGeometry[] {
  const ph = [
    [1, 1],
    [0, 1],
    [1, 0],
  ];
  const out: StageGeometry[] = [{ index: 0, step: 8, oy: 0, ox: 0 }];
  for (const lv of [3, 2, 1]) {
    const h = 1 << (lv - 1);
    for (const [dy, dx] of ph) out.push({ index: out.length, step: 2 * h, oy: dy * h, ox: dx * h });
  }
  return out;
}

/** Deterministic pseudo-random integers (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return (lo: number, hi: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(u * (hi - lo + 1));
  };
}

interface Case {
  w: number;
  h: number;
  K: number;
  rgb: Uint8Array;
  params: Int32Array[];
  z: { level: 1 | 2; p: Int32Array; sym: Uint8Array; C: number; hw: number }[];
}

/** Mixture params near the true pixels (so the adaptive stage has signal), with clamps hit. */
function makeCase(seed: number, w: number, h: number, K: number): Case {
  const r = rng(seed);
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = (x * 7 + y * 3 + c * 50 + r(0, 20)) & 255;
  const W = (w + 7) & ~7;
  const H = (h + 7) & ~7;
  const params = stages().map(({ step, oy, ox }) => {
    const gw = W / step;
    const gh = H / step;
    const p = new Int32Array(gh * gw * 12 * K);
    for (let gy = 0; gy < gh; gy++)
      for (let gx = 0; gx < gw; gx++) {
        const y = Math.min(gy * step + oy, h - 1);
        const x = Math.min(gx * step + ox, w - 1);
        const base = (gy * gw + gx) * 12 * K;
        for (let c = 0; c < 3; c++)
          for (let k = 0; k < K; k++) {
            const v = rgb[(y * w + x) * 3 + c];
            p[base + c * K + k] = r(0, 9) === 0 ? r(-40000, 40000) : r(-600, 600);
            p[base + 3 * K + c * K + k] = r(0, 19) === 0 ? r(-70000, 140000) : 256 * v + r(-2000, 2000);
            p[base + 6 * K + c * K + k] = r(0, 19) === 0 ? r(-700, 900) : r(-100, 400);
            p[base + 9 * K + c * K + k] = r(-5000, 5000);
          }
      }
    return p;
  });
  // z2 (3 channels, level 2: the adapt-3 stage) and z1 (2 channels, level 1); the means
  // follow a smooth field of the symbols, so that the z2 stage has something to learn
  const z = ([2, 1] as const).map((level, li) => {
    const C = 3 - li;
    const hw = (H >> level) * (W >> level);
    const p = new Int32Array(hw * 3 * C * K);
    const sym = new Uint8Array(C * hw);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < hw; i++) {
        const v = Math.min(24, Math.max(0, 12 + Math.round(6 * Math.sin(i / 5 + c)) + r(-2, 2)));
        sym[c * hw + i] = v;
        for (let k = 0; k < K; k++) {
          const at = i * 3 * C * K + c * K + k;
          p[at] = r(-3000, 3000);
          p[at + C * K] = r(0, 19) === 0 ? r(-9000, 16000) : 256 * (v + 2) + r(-900, 900);
          p[at + 2 * C * K] = r(-300, 500);
        }
      }
    return { level, p, sym, C, hw };
  });
  return { w, h, K, rgb, params, z };
}

const z3cdf = Int32Array.from([0, 1000, 30000, 65000, 65536]);

function encode(core: EntropyCore, t: Case, adapt: number): Uint8Array {
  const z3 = Uint8Array.from({ length: 9 }, (_, i) => i % 4);
  const symbols = 3 * t.w * t.h + t.z[0].sym.length + t.z[1].sym.length + 9;
  const enc = core.encoder({ width: t.w, height: t.h, adapt, symbols });
  try {
    enc.table(z3cdf, z3);
    for (const z of t.z) enc.z(z.level, z.p, z.C, t.K, 25, z.hw, z.sym);
    const rgb = t.rgb.slice();
    for (const [s, g] of stages().entries()) enc.stage(g, t.params[s], t.K, rgb);
    return enc.finish();
  } finally {
    enc.dispose();
  }
}

function decode(
  core: EntropyCore,
  t: Case,
  data: Uint8Array,
  adapt: number,
): { rgb: Uint8Array; z: Uint8Array[] } {
  const dec = core.decoder(data, { width: t.w, height: t.h, adapt });
  try {
    dec.table(z3cdf, new Uint8Array(9));
    const z = t.z.map((zl) => {
      const sym = new Uint8Array(zl.sym.length);
      dec.z(zl.level, zl.p, zl.C, t.K, 25, zl.hw, sym);
      return sym;
    });
    const rgb = new Uint8Array(t.rgb.length);
    for (const [s, g] of stages().entries()) dec.stage(g, t.params[s], t.K, rgb);
    return { rgb, z };
  } finally {
    dec.dispose();
  }
}

describe("wasm entropy core", () => {
  it("gives the TypeScript reference's bytes and pixels on random tiles (scalar and SIMD; no adaptation, adapt-1 to adapt-6)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 44 }),
        fc.integer({ min: 1, max: 44 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 6 }),
        (seed, w, h, K, adapt) => {
          const t = makeCase(seed, w, h, K);
          const ref = encode(tsCore, t, adapt);
          for (const core of cores) {
            const bytes = encode(core, t, adapt);
            expect(Buffer.from(bytes).equals(Buffer.from(ref)), core.name).toBe(true);
            const back = decode(core, t, ref, adapt);
            expect(Buffer.from(back.rgb).equals(Buffer.from(t.rgb)), core.name).toBe(true);
            for (const [i, z] of back.z.entries())
              expect(Buffer.from(z).equals(Buffer.from(t.z[i].sym)), core.name).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("finds the same z modes as the reference", () => {
    for (const seed of [1, 2, 3]) {
      const t = makeCase(seed, 40, 24, 1 + seed * 3);
      const z = t.z[1];
      const ref = tsCore.zMode(z.p, z.C, t.K, 25, z.hw);
      expect(new Set(ref).size).toBeGreaterThan(1);
      for (const core of cores)
        expect(Buffer.from(core.zMode(z.p, z.C, t.K, 25, z.hw)).equals(Buffer.from(ref))).toBe(true);
    }
  });

  it("finds the same z modes as the reference on sharp and on two-peaked priors", () => {
    // sharp: one level holds more than half (the cores' early exit); two peaks: two levels
    // near half each, on either side of the exit's threshold
    const t = makeCase(5, 40, 24, 4);
    const z = t.z[1];
    const CK = z.C * t.K;
    const r = rng(99);
    for (const shape of ["sharp", "two peaks"]) {
      const p = z.p.slice();
      for (let i = 0; i < z.hw; i++)
        for (let c = 0; c < z.C; c++)
          for (let k = 0; k < t.K; k++) {
            const at = i * 3 * CK + c * t.K + k;
            if (shape === "sharp") p[at + 2 * CK] = r(-512, -313);
            else {
              p[at] = k < 2 ? r(0, 39) : -30000;
              p[at + CK] = 256 * (8 + 2 * k) + r(-30, 29);
              p[at + 2 * CK] = -512;
            }
          }
      const ref = tsCore.zMode(p, z.C, t.K, 25, z.hw);
      expect(new Set(ref).size, shape).toBeGreaterThan(1);
      for (const core of cores)
        expect(Buffer.from(core.zMode(p, z.C, t.K, 25, z.hw)).equals(Buffer.from(ref)), shape).toBe(true);
    }
  });

  it("each adaptive scheme changes the bytes, and a decoder with another cannot reproduce the pixels", () => {
    const t = makeCase(7, 64, 48, 4);
    const streams = [0, 1, 2, 3].map((a) => encode(tsCore, t, a));
    for (const [a, b] of [
      [0, 1],
      [1, 2],
      [0, 2],
      [2, 3],
      [3, 2],
    ]) {
      expect(Buffer.from(streams[a]).equals(Buffer.from(streams[b]))).toBe(false);
      // decoding with the wrong setting cannot reproduce the pixels
      let wrong: Uint8Array | undefined;
      try {
        wrong = decode(tsCore, t, streams[b], a).rgb;
      } catch (e) {
        expect(e).toBeInstanceOf(L3cError);
      }
      if (wrong) expect(Buffer.from(wrong).equals(Buffer.from(t.rgb))).toBe(false);
    }
  });

  it.each([2, 3])(
    "fails on corrupt and truncated streams with the reference's typed errors (adapt-%i)",
    (adapt) => {
      const t = makeCase(11, 24, 24, 3);
      const good = encode(tsCore, t, adapt);
      const bad: Uint8Array[] = [
        good.subarray(0, good.length >> 1),
        Uint8Array.of(1, 2, 3, 4, 5, 6),
        new Uint8Array(3),
      ];
      for (let i = 0; i < 20; i++) {
        const m = good.slice();
        m[(i * 7919) % m.length] ^= 1 << (i % 8);
        bad.push(m);
      }
      for (const data of bad) {
        let refErr: string | undefined;
        try {
          decode(tsCore, t, data, adapt);
        } catch (e) {
          refErr = (e as L3cError).code;
        }
        for (const core of cores.slice(1)) {
          let err: string | undefined;
          try {
            decode(core, t, data, adapt);
          } catch (e) {
            expect(e).toBeInstanceOf(L3cError);
            err = (e as L3cError).code;
          }
          expect(err, core.name).toBe(refErr);
        }
      }
    },
  );
});
