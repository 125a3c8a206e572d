/**
 * @module adaptive-stage
 * The adaptive stages "adapt-1" to "adapt-6": per-tile online adaptation of
 * the network's distributions, computed identically by encoder and decoder from decoded
 * symbols only. Specified in SPEC.md §7, operation by operation; `AdaptiveTile` (pixel
 * stages) and `AdaptiveZ` (adapt-3's z2 stage) are its reference implementation, and
 * shared/wasm/core/*.c follows them. A model enables one with `"adapt": "adapt-1"` (or
 * `"adapt-2"`, `"adapt-3"`) in its manifest config, so the model id names it.
 *
 * Map from the spec to this file:
 * - Arithmetic: IEEE-754 doubles, + - * / sqrt in the written order, no FMA (SPEC.md §1.2).
 * - State per tile (§7.2): `known`, `res`, `err` planes; one regression group per
 *   (stage, channel) and one temperature context per (stage, channel, sb, ab).
 * - Per sub-pixel: step 1, the moments of the network's mixture (§7.3:
 *   MixtureCdf.moments, `spread`); step 2, the features (§7.4: `features`, tables `NB8`,
 *   `HPAIR`, `VPAIR`, `PREV`); step 3, the clipped correction and the temperature (§7.5:
 *   `adjust`, `tempOffset`); step 4, the coded distribution (§7.6, §6.5:
 *   MixtureCdf.prepare with madd and lsadd, then MixtureCdf.contract for adapt-2 and
 *   adapt-3); step 5, the update (§7.6: `update`).
 * - Grid rows (§7.7): `rowStart` solves the dirty groups (`ridgeSolve`, Cholesky in the
 *   spec's order), `rowEnd` decays the statistics.
 * - adapt-2 (§7.8): wider clip CLIP2, the contracted variance for the temperature, the
 *   contraction of the means toward the adapted mean with RHO.
 * - adapt-3 (§7.9): adapt-2's pixel stages plus `AdaptiveZ` over the z2 symbols.
 * - adapt-4 (§7.10): adapt-3 plus secondary estimation (`secondaryTables`, `secondaryUpdate`).
 * - adapt-5 (§7.11): adapt-4 reading the adapted residuals (`update` returns e; the
 *   temperature's activity) and a third table for G and B.
 * - adapt-6 (§7.12): adapt-5 with the pixel stages' constants retuned (`ADAPT6`, `Tuning`).
 * Why the constants are what they are, and what each scheme measured: SPEC.md Appendix A
 * and the model cards.
 */

import { ADAPT_TAU_MIN, ADAPT_TAU_U } from "./adapt-tables.js";
import { shareBin } from "./logistic-mixture.js";

/** The name a model config gives to enable this stage: adapt-1 to adapt-6 (schemes 1 to 6). */
export const ADAPT_SCHEMES: readonly string[] = Object.freeze([
  "adapt-1",
  "adapt-2",
  "adapt-3",
  "adapt-4",
  "adapt-5",
  "adapt-6",
]);

/** The scheme number of a config's `adapt` (0: none); undefined when unknown. */
export function adaptScheme(name: string | undefined): number | undefined {
  if (name === undefined) return 0;
  const i = ADAPT_SCHEMES.indexOf(name);
  return i < 0 ? undefined : i + 1;
}

/** Constants of adapt-1..3 (SPEC.md §7.1; exact doubles, the C build writes them with the same digits). */
export const ADAPT = Object.freeze({
  FEATURES: 30,
  STAGES: 10,
  LAMBDA: 30,
  DECAY_LS: 0.98,
  DECAY_TEMP: 0.99,
  PIVOT_MIN: 1e-12,
  VAR_MIN: 1e-6,
  /** pi^2 / 3, the variance of the standard logistic distribution. */
  LOGISTIC_VAR: 3.289868133696453,
  SD_EDGES: Object.freeze([0.8, 1.89, 4.47, 10.57, 25]),
  ACT_EDGES: Object.freeze([0.5, 0.8, 1.2]),
  /** adapt-2: the factor of each component's distance to the adapted mean. */
  RHO: 0.25,
  /** adapt-2: the regression's correction is clipped to CLIP2 * sd + 1 (adapt-1: sd + 1). */
  CLIP2: 3,
  /** adapt-3: features of the z2 stage. */
  ZFEATURES: 21,
  /** adapt-3: the z2 stage's contraction factor. */
  ZRHO: 0.5,
  /** adapt-3: the z2 stage's per-row decay of A and b. */
  ZDECAY: 0.9,
  /** adapt-4: bins of a secondary-estimation histogram (of the Q24 shares, 2^24 / SSE_BINS wide). */
  SSE_BINS: 16,
  /** adapt-4: the count every bin starts with (the table is the identity until data arrives). */
  SSE_PRIOR: 4,
  /** adapt-4: buckets of the first map's context: the correction d / (sd + 0.3). */
  SSE_D_EDGES: Object.freeze([-0.6, -0.2, 0.2, 0.6]),
  /** adapt-4: buckets of the second map's context: (e_W + e_N) / (sd + 0.3), the causal neighbours' adapted residuals. */
  SSE_E_EDGES: Object.freeze([-1, -0.3, 0, 0.3, 1]),
  /** adapt-5: the weight of |e| of the pixel's previous channel in the temperature's activity. */
  ACT_PREV: 0.5,
});

/**
 * adapt-6 (SPEC.md §7.12): adapt-5 with these constants in its pixel stages (the z2 stage
 * keeps ADAPT's). The regression's rows decay faster, level 1's fastest (its grid rows are
 * the longest).
 */
export const ADAPT6 = Object.freeze({
  LAMBDA: 20,
  /** per-row decay of A and b in the base stage and levels 3 and 2 (stages 0-6) */
  DECAY_LS: 0.95,
  /** per-row decay of A and b in level 1 (stages LEVEL1..STAGES-1) */
  DECAY_LS1: 0.93,
  /** the first stage of level 1 (SPEC.md §4.4: base, then levels 3, 2, 1 of 3 phases each) */
  LEVEL1: 7,
  DECAY_TEMP: 0.98,
  RHO: 0.4,
  SSE_PRIOR: 2,
});

/** The pixel stages' constants of one scheme (adapt-1..5: ADAPT's; adapt-6: ADAPT6's). */
export interface Tuning {
  readonly lambda: number;
  /** per-row decay of A and b, by stage (0..STAGES-1) */
  readonly decayLs: readonly number[];
  readonly decayTemp: number;
  readonly rho: number;
  readonly ssePrior: number;
}

/** The constants scheme `scheme` runs its pixel stages with. */
export function tuning(scheme: number): Tuning {
  if (scheme >= 6) {
    return {
      lambda: ADAPT6.LAMBDA,
      decayLs: Array.from({ length: ADAPT.STAGES }, (_, s) =>
        s >= ADAPT6.LEVEL1 ? ADAPT6.DECAY_LS1 : ADAPT6.DECAY_LS,
      ),
      decayTemp: ADAPT6.DECAY_TEMP,
      rho: ADAPT6.RHO,
      ssePrior: ADAPT6.SSE_PRIOR,
    };
  }
  return {
    lambda: ADAPT.LAMBDA,
    decayLs: Array.from({ length: ADAPT.STAGES }, () => ADAPT.DECAY_LS),
    decayTemp: ADAPT.DECAY_TEMP,
    rho: ADAPT.RHO,
    ssePrior: ADAPT.SSE_PRIOR,
  };
}

type Off = readonly (readonly [number, number])[];
// biome-ignore format: offset tables, one row per phase type (0 base, 1, 2, 3)
export const NB8: readonly Off[] = [
  [],
  [[-1, -1], [-1, 1], [1, -1], [1, 1], [-1, -3], [-1, 3], [1, -3], [1, 3]],
  [[0, -1], [0, 1], [-1, 0], [1, 0], [-2, -1], [-2, 1], [2, -1], [2, 1]],
  [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]],
];
// biome-ignore format: offset tables
export const HPAIR: readonly Off[] = [[], [[-1, -1], [1, 1]], [[0, -1], [0, 1]], [[0, -1], [0, 1]]];
// biome-ignore format: offset tables
export const VPAIR: readonly Off[] = [[], [[-1, 1], [1, -1]], [[-1, 0], [1, 0]], [[-1, 0], [1, 0]]];
// biome-ignore format: offset tables
export const PREV: readonly Off[] = [
  [],
  [[-1, -1], [-1, 1], [1, -1], [1, 1]],
  [[-1, 0], [1, 0]],
  [[0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]],
];
// biome-ignore format: offset tables
const CAUSAL: Off = [[0, -1], [-1, 0], [-1, -1], [-1, 1]];

const NF = ADAPT.FEATURES;
const NSB = ADAPT.SD_EDGES.length + 1;
const NACT = ADAPT.ACT_EDGES.length + 1;
const SB = ADAPT.SSE_BINS;
const ND = ADAPT.SSE_D_EDGES.length + 1;
const NE = ADAPT.SSE_E_EDGES.length + 1;
/** adapt-4: contexts of the first map, then of the second (SPEC.md §7.10); adapt-5: then of the third (§7.11). */
const NSSE1 = ADAPT.STAGES * 3 * NSB * ND;
const NSSE2 = NSSE1 + ADAPT.STAGES * 3 * NSB * NE;
const NSSE = NSSE2 + ADAPT.STAGES * 3 * NSB * NE;
const SSE_WIDTH = 2 ** 24 / SB;

/** Phase type of a stage: 0 base, 1 offset (h, h), 2 (0, h), 3 (h, 0). */
export function phaseType(stage: number, oy: number, ox: number): number {
  if (stage === 0) return 0;
  return oy === 0 ? 2 : ox === 0 ? 3 : 1;
}

/** What the stage adds to one sub-pixel's mixture, and what it remembers to update. */
export interface Adjustment {
  /** Q8 shift of every mean. */
  madd: number;
  /** Q7 offset of every log-scale. */
  lsadd: number;
  /** adapt-2: the adapted mixture mean (Q8, 256 m + madd) that the means contract toward. */
  center: number;
}

/**
 * The pixel stages' state of adapt-1..3 for one tile (SPEC.md §7.2-§7.8). The caller walks the
 * stages in coding order and, per sub-pixel, calls `adjust` before coding and `update`
 * after; `rowStart` / `rowEnd` bracket each grid row.
 */
export class AdaptiveTile {
  readonly width: number;
  readonly height: number;
  private readonly W: number;
  private readonly plane: number;
  /** Decoded values, 3 x H x W (128 where not yet coded). */
  readonly known: Uint8Array;
  private readonly res: Float64Array;
  private readonly err: Float64Array;
  private readonly A: Float64Array;
  private readonly b: Float64Array;
  private readonly theta: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly E: Float64Array;
  private readonly S: Float64Array;
  private readonly F = new Float64Array(NF);
  private readonly L = new Float64Array(NF * NF);
  private readonly yv = new Float64Array(NF);
  private readonly st: Spread = { m: 0, sd: 0, vt: 0 };
  // the current sub-pixel, between adjust and update
  private m = 0;
  private sd = 0;
  private vt = 0;
  private d = 0;
  private group = 0;
  private ctx = 0;

  // adapt-4: per context a histogram of coded shares, its table and whether H changed since
  private readonly sseH: Float64Array;
  private readonly sseT: Float64Array;
  private readonly sseDirty: Uint8Array;
  private sse1 = 0;
  private sse2 = 0;
  /** adapt-5: the third map's context, or -1 (channel 0, and schemes below 5). */
  private sse3 = -1;

  /**
   * 1 (adapt-1), 2 (adapt-2), 3 (adapt-3: the pixel stages as adapt-2), 4 (adapt-4: adapt-3
   * and secondary estimation), 5 (adapt-5: adapt-4 reading the adapted residuals, §7.11) or
   * 6 (adapt-6: adapt-5 retuned, §7.12).
   */
  readonly scheme: number;
  /** the constants of the scheme's pixel stages */
  readonly tuning: Tuning;

  constructor(width: number, height: number, scheme = 1) {
    if (!Number.isInteger(scheme) || scheme < 1 || scheme > 6)
      throw new RangeError(`adaptive scheme ${scheme} is not 1, 2, 3, 4, 5 or 6`);
    this.scheme = scheme;
    this.tuning = tuning(scheme);
    this.width = width;
    this.height = height;
    this.W = (width + 7) & ~7;
    this.plane = this.W * ((height + 7) & ~7);
    this.known = new Uint8Array(3 * this.plane).fill(128);
    this.res = new Float64Array(3 * this.plane);
    this.err = new Float64Array(3 * this.plane);
    const groups = ADAPT.STAGES * 3;
    this.A = new Float64Array(groups * NF * NF);
    this.b = new Float64Array(groups * NF);
    this.theta = new Float64Array(groups * NF);
    this.dirty = new Uint8Array(groups);
    this.E = new Float64Array(groups * NSB * NACT);
    this.S = new Float64Array(groups * NSB * NACT);
    const n = scheme >= 5 ? NSSE : scheme === 4 ? NSSE2 : 0;
    this.sseH = new Float64Array(n * SB);
    this.sseT = new Float64Array(n * (SB + 1));
    this.sseDirty = new Uint8Array(n).fill(1);
  }

  /** Solve the stage's dirty groups (start of a grid row). */
  rowStart(stage: number): void {
    for (let c = 0; c < 3; c++) {
      const g = stage * 3 + c;
      if (this.dirty[g]) {
        this.solve(g);
        this.dirty[g] = 0;
      }
    }
  }

  /** Forget: decay the stage's statistics (end of a grid row). */
  rowEnd(stage: number): void {
    const decay = this.tuning.decayLs[stage];
    const decayTemp = this.tuning.decayTemp;
    for (let c = 0; c < 3; c++) {
      const g = stage * 3 + c;
      const A = g * NF * NF;
      for (let i = 0; i < NF; i++) {
        for (let j = i; j < NF; j++) this.A[A + i * NF + j] *= decay;
        this.b[g * NF + i] *= decay;
      }
    }
    const n = 3 * NSB * NACT;
    for (let i = stage * n; i < (stage + 1) * n; i++) {
      this.E[i] *= decayTemp;
      this.S[i] *= decayTemp;
    }
  }

  /**
   * Steps 1-3 (SPEC.md §7.3-§7.5) for sub-pixel c of the pixel (y, x) of `stage`: `moments` = [M1, M2, MC] of
   * the network's prepared mixture (MixtureCdf.moments; MC read by adapt-2 only), xv / rv
   * the pixel's earlier channels and what `update` returned for them (their residuals r;
   * adapt-5: their adapted residuals e).
   */
  adjust(
    stage: number,
    ptype: number,
    step: number,
    y: number,
    x: number,
    c: number,
    moments: Float64Array,
    xv: ArrayLike<number>,
    rv: ArrayLike<number>,
    out: Adjustment,
  ): void {
    const { m, sd, vt } = spread(moments, this.scheme >= 2 ? this.tuning.rho : undefined, this.st);
    this.vt = vt;
    const F = this.F;
    this.features(ptype, step, y, x, c, m, xv, rv);
    const g = stage * 3 + c;
    const th = g * NF;
    let d = 0;
    for (let i = 0; i < NF; i++) d += this.theta[th + i] * F[i];
    const lim = this.scheme >= 2 ? ADAPT.CLIP2 * sd + 1 : sd + 1;
    if (d > lim) d = lim;
    if (d < -lim) d = -lim;
    let act: number;
    if (this.scheme >= 5) {
      // adapt-5 (§7.11): the adapted residuals' activity, and the previous channel's |e|
      act = (Math.abs(F[25]) + Math.abs(F[26]) + Math.abs(F[27]) + Math.abs(F[28]) + 2 * Math.abs(F[29])) / 6;
      if (c >= 1) act = act + ADAPT.ACT_PREV * Math.abs(rv[c - 1]);
    } else {
      act = (Math.abs(F[3]) + Math.abs(F[4]) + Math.abs(F[5]) + Math.abs(F[6]) + 2 * Math.abs(F[7])) / 6;
    }
    const sb = bucket(sd, ADAPT.SD_EDGES);
    const ab = bucket(act / (sd + 0.3), ADAPT.ACT_EDGES);
    const t = (g * NSB + sb) * NACT + ab;
    this.m = m;
    this.sd = sd;
    this.d = d;
    this.group = g;
    this.ctx = t;
    out.madd = Math.floor(d * 256 + 0.5);
    out.lsadd = tempOffset(this.E[t], this.S[t]);
    out.center = 256 * m + out.madd;
    if (this.scheme >= 4) {
      const base = g * NSB + sb;
      this.sse1 = base * ND + bucket(d / (sd + 0.3), ADAPT.SSE_D_EDGES);
      this.sse2 = NSSE1 + base * NE + bucket((F[25] + F[26]) / (sd + 0.3), ADAPT.SSE_E_EDGES);
      this.sse3 =
        this.scheme >= 5 && c >= 1
          ? NSSE2 + base * NE + bucket(rv[c - 1] / (sd + 0.3), ADAPT.SSE_E_EDGES)
          : -1;
    }
  }

  /**
   * adapt-4 (SPEC.md §7.10), after `adjust`: the current sub-pixel's two tables, each
   * recomputed from its histogram when that changed since it was last read; adapt-5
   * (§7.11): and a third for channels 1 and 2.
   */
  secondaryTables(): [Float64Array, Float64Array, Float64Array | undefined] {
    return [
      this.sseTable(this.sse1),
      this.sseTable(this.sse2),
      this.sse3 < 0 ? undefined : this.sseTable(this.sse3),
    ];
  }

  /** adapt-4, after coding: the coded symbol's Q24 shares [lo, hi) join each table's histogram. */
  secondaryUpdate(lo: number, hi: number): void {
    this.sseAdd(this.sse1, lo, hi);
    this.sseAdd(this.sse2, lo, hi);
    if (this.sse3 >= 0) this.sseAdd(this.sse3, lo, hi);
  }

  private sseTable(s: number): Float64Array {
    const T = this.sseT.subarray(s * (SB + 1), (s + 1) * (SB + 1));
    if (this.sseDirty[s]) {
      const H = this.sseH;
      const prior = this.tuning.ssePrior;
      const h = s * SB;
      let total = 0;
      for (let j = 0; j < SB; j++) total += H[h + j] + prior;
      const scale = 2 ** 24 / total;
      let run = 0;
      T[0] = 0;
      for (let j = 0; j < SB - 1; j++) {
        run += H[h + j] + prior;
        T[j + 1] = Math.floor(run * scale);
      }
      T[SB] = 2 ** 24;
      this.sseDirty[s] = 0;
    }
    return T;
  }

  private sseAdd(s: number, lo: number, hi: number): void {
    const H = this.sseH;
    const h = s * SB;
    if (!(hi > lo)) {
      H[h + shareBin(lo, SB)] += 1;
    } else {
      const j1 = shareBin(hi - 1, SB);
      for (let j = shareBin(lo, SB); j <= j1; j++) {
        // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
        const a = j * SSE_WIDTH > lo ? j * SSE_WIDTH : lo;
        // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
        const b = (j + 1) * SSE_WIDTH < hi ? (j + 1) * SSE_WIDTH : hi;
        H[h + j] += (b - a) / (hi - lo);
      }
    }
    this.sseDirty[s] = 1;
  }

  /**
   * Step 5 (SPEC.md §7.6) after coding value v at plane offset o (y W + x); returns what the
   * pixel's later channels read as features 1 and 2: the residual r (adapt-5: e, §7.11).
   */
  update(c: number, o: number, v: number): number {
    const r = v - this.m;
    const e = r - this.d;
    const sd = this.sd;
    this.known[c * this.plane + o] = v;
    this.res[c * this.plane + o] = r;
    this.err[c * this.plane + o] = e;
    const t = this.ctx;
    this.E[t] = this.E[t] + e * e;
    this.S[t] = this.S[t] + this.vt;
    const wt = 1 / (sd * sd + 1);
    const F = this.F;
    const g = this.group;
    const A = g * NF * NF;
    for (let i = 0; i < NF; i++) {
      const f = wt * F[i];
      const row = A + i * NF;
      for (let j = i; j < NF; j++) this.A[row + j] = this.A[row + j] + f * F[j];
      this.b[g * NF + i] = this.b[g * NF + i] + f * r;
    }
    this.dirty[g] = 1;
    return this.scheme >= 5 ? e : r;
  }

  /** Plane offset of neighbour (y + a, x + b), mirrored per axis; -1 when absent. */
  private nb(y: number, x: number, a: number, b: number): number {
    let yy = y + a;
    let xx = x + b;
    if (yy < 0 || yy >= this.height) yy = y - a;
    if (xx < 0 || xx >= this.width) xx = x - b;
    if (yy < 0 || yy >= this.height || xx < 0 || xx >= this.width) return -1;
    return yy * this.W + xx;
  }

  private features(
    ptype: number,
    step: number,
    y: number,
    x: number,
    c: number,
    m: number,
    xv: ArrayLike<number>,
    rv: ArrayLike<number>,
  ): void {
    const F = this.F;
    const K = this.known;
    const R = this.res;
    const E = this.err;
    const P = this.plane;
    const W = this.W;
    F.fill(0);
    F[0] = 1;
    if (c >= 1) F[1] = rv[0];
    if (c === 2) F[2] = rv[1];
    for (let q = 0; q < 4; q++) {
      const a = y + CAUSAL[q][0] * step;
      const b = x + CAUSAL[q][1] * step;
      if (a >= 0 && b >= 0 && b < this.width) {
        const o = a * W + b;
        F[3 + q] = R[c * P + o];
        F[21 + q] = K[c * P + o] - m;
        F[25 + q] = E[c * P + o];
      }
    }
    if (ptype === 0) {
      const Wv = F[21] + m;
      const Nv = F[22] + m;
      const NWv = F[23] + m;
      const NEv = F[24] + m;
      // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
      const mx = Wv > Nv ? Wv : Nv;
      // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
      const mn = Wv < Nv ? Wv : Nv;
      const med = NWv >= mx ? mn : NWv <= mn ? mx : Wv + Nv - NWv;
      F[8] = med - m;
      F[9] = 0.5 * (Wv + NEv) - m;
      for (let r = 0; r < c; r++) {
        const Wr = x - step >= 0 ? K[r * P + y * W + x - step] : xv[r];
        const Nr = y - step >= 0 ? K[r * P + (y - step) * W + x] : xv[r];
        F[11 + (c === 1 ? 0 : r)] = xv[r] + 0.5 * (Wv - Wr + (Nv - Nr)) - m;
      }
      return;
    }
    const h = step >> 1;
    const prev = PREV[ptype];
    let ep = 0;
    let ee = 0;
    for (const [a, b] of prev) {
      const o = this.nb(y, x, a * h, b * h);
      if (o >= 0) {
        ep += R[c * P + o];
        ee += E[c * P + o];
      }
    }
    F[7] = ep / prev.length;
    F[29] = ee / prev.length;
    const hp = HPAIR[ptype];
    const vp = VPAIR[ptype];
    const oh0 = this.nb(y, x, hp[0][0] * h, hp[0][1] * h);
    const oh1 = this.nb(y, x, hp[1][0] * h, hp[1][1] * h);
    const ov0 = this.nb(y, x, vp[0][0] * h, vp[0][1] * h);
    const ov1 = this.nb(y, x, vp[1][0] * h, vp[1][1] * h);
    const kv = (cc: number, o: number, dflt: number) => (o >= 0 ? K[cc * P + o] : dflt);
    const H0 = kv(c, oh0, m);
    const H1 = kv(c, oh1, m);
    const V0 = kv(c, ov0, m);
    const V1 = kv(c, ov1, m);
    const Ph = 0.5 * (H0 + H1);
    const Pv = 0.5 * (V0 + V1);
    const gh = Math.abs(H0 - H1);
    const gv = Math.abs(V0 - V1);
    const wh = 1 / ((gh + 1) * (gh + 1));
    const wv = 1 / ((gv + 1) * (gv + 1));
    F[8] = Ph - m;
    F[9] = Pv - m;
    F[10] = (wh * Ph + wv * Pv) / (wh + wv) - m;
    for (let r = 0; r < c; r++) {
      const Hr0 = kv(r, oh0, xv[r]);
      const Hr1 = kv(r, oh1, xv[r]);
      const Vr0 = kv(r, ov0, xv[r]);
      const Vr1 = kv(r, ov1, xv[r]);
      const dh = 0.5 * (H0 - Hr0 + (H1 - Hr1));
      const dv = 0.5 * (V0 - Vr0 + (V1 - Vr1));
      const g1 = gh + Math.abs(Hr0 - Hr1);
      const g2 = gv + Math.abs(Vr0 - Vr1);
      const w1 = 1 / ((g1 + 1) * (g1 + 1));
      const w2 = 1 / ((g2 + 1) * (g2 + 1));
      F[11 + (c === 1 ? 0 : r)] = xv[r] + (w1 * dh + w2 * dv) / (w1 + w2) - m;
    }
    const nb8 = NB8[ptype];
    for (let q = 0; q < 8; q++) F[13 + q] = kv(c, this.nb(y, x, nb8[q][0] * h, nb8[q][1] * h), m) - m;
  }

  private solve(g: number): void {
    ridgeSolve(NF, this.tuning.lambda, this.A, g * NF * NF, this.b, g * NF, this.L, this.yv, this.theta);
  }
}

/**
 * theta[t0 + 0..n-1] = (A + lambda I)^-1 b for the n x n block at A[a0] (upper triangle
 * valid, row-major) and b[t0]: Cholesky, forward and back substitution in the order of
 * SPEC.md §7.7. L (n x n) and yv (n) are scratch.
 */
function ridgeSolve(
  n: number,
  lambda: number,
  A: Float64Array,
  a0: number,
  b: Float64Array,
  t0: number,
  L: Float64Array,
  yv: Float64Array,
  th: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[a0 + j * n + i] + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
      if (i === j) L[i * n + i] = Math.sqrt(s > ADAPT.PIVOT_MIN ? s : ADAPT.PIVOT_MIN);
      else L[i * n + j] = s / L[j * n + j];
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[t0 + i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * yv[k];
    yv[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = yv[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * th[t0 + k];
    th[t0 + i] = s / L[i * n + i];
  }
}

const ZF = ADAPT.ZFEATURES;
// biome-ignore format: offset tables
const ZAROUND: Off = [[0, 1], [1, 0], [0, -1], [-1, 0]];

/**
 * The z2 stage of adapt-3 for one tile (reference implementation of SPEC.md §7.9). The caller codes channel by channel, row by row: `rowStart(y)`, then
 * per symbol `adjust` before coding and `update` after, then `rowEnd()`. Channels are
 * coded one after another, so one regression group and temperature context serve them
 * all: `rowStart(0)` zeroes them, which is the spec's fresh group per channel.
 */
export class AdaptiveZ {
  private readonly hw: number;
  private readonly zv: Uint8Array;
  private readonly res: Float64Array;
  private readonly err: Float64Array;
  private readonly A = new Float64Array(ZF * ZF);
  private readonly b = new Float64Array(ZF);
  private readonly theta = new Float64Array(ZF);
  private readonly G = new Float64Array(ZF);
  private readonly L = new Float64Array(ZF * ZF);
  private readonly yv = new Float64Array(ZF);
  private readonly st: Spread = { m: 0, sd: 0, vt: 0 };
  private E = 0;
  private S = 0;
  private m = 0;
  private sd = 0;
  private vt = 0;
  private d = 0;

  constructor(
    readonly C: number,
    readonly h: number,
    readonly w: number,
  ) {
    this.hw = h * w;
    this.zv = new Uint8Array(C * this.hw);
    this.res = new Float64Array(C * this.hw);
    this.err = new Float64Array(C * this.hw);
  }

  /** Start of row y of channel c: a new channel starts from zero; rows y >= 1 solve. */
  rowStart(y: number): void {
    if (y === 0) {
      this.A.fill(0);
      this.b.fill(0);
      this.theta.fill(0);
      this.E = 0;
      this.S = 0;
      return;
    }
    ridgeSolve(ZF, ADAPT.LAMBDA, this.A, 0, this.b, 0, this.L, this.yv, this.theta);
  }

  /** End of a row: forget. */
  rowEnd(): void {
    for (let i = 0; i < ZF; i++) {
      for (let j = i; j < ZF; j++) this.A[i * ZF + j] *= ADAPT.ZDECAY;
      this.b[i] *= ADAPT.ZDECAY;
    }
    this.E *= ADAPT.DECAY_TEMP;
    this.S *= ADAPT.DECAY_TEMP;
  }

  /** Steps 1-2 for symbol (c, y, x): `moments` = [M1, M2, MC] of the network's mixture. */
  adjust(c: number, y: number, x: number, moments: Float64Array, out: Adjustment): void {
    const { m, sd, vt } = spread(moments, ADAPT.ZRHO, this.st);
    this.vt = vt;
    const G = this.G;
    G.fill(0);
    G[0] = 1;
    const { w, h, hw } = this;
    for (let q = 0; q < 4; q++) {
      const a = y + CAUSAL[q][0];
      const b = x + CAUSAL[q][1];
      if (a >= 0 && b >= 0 && b < w) {
        const o = c * hw + a * w + b;
        G[1 + q] = this.res[o];
        G[5 + q] = this.zv[o] - m;
        G[9 + q] = this.err[o];
      }
    }
    for (let r = 0; r < c && r < 4; r++) G[13 + r] = this.res[r * hw + y * w + x];
    if (c >= 1)
      for (let q = 0; q < 4; q++) {
        const a = y + ZAROUND[q][0];
        const b = x + ZAROUND[q][1];
        if (a >= 0 && a < h && b >= 0 && b < w) G[17 + q] = this.res[(c - 1) * hw + a * w + b];
      }
    let d = 0;
    for (let i = 0; i < ZF; i++) d += this.theta[i] * G[i];
    const lim = ADAPT.CLIP2 * sd + 1;
    if (d > lim) d = lim;
    if (d < -lim) d = -lim;
    this.m = m;
    this.sd = sd;
    this.d = d;
    out.madd = Math.floor(d * 256 + 0.5);
    out.lsadd = tempOffset(this.E, this.S);
    out.center = 256 * m + out.madd;
  }

  /** Step 4 after coding value v of symbol (c, y, x). */
  update(c: number, y: number, x: number, v: number): void {
    const r = v - this.m;
    const e = r - this.d;
    const o = c * this.hw + y * this.w + x;
    this.zv[o] = v;
    this.res[o] = r;
    this.err[o] = e;
    this.E = this.E + e * e;
    this.S = this.S + this.vt;
    const wt = 1 / (this.sd * this.sd + 1);
    const G = this.G;
    for (let i = 0; i < ZF; i++) {
      const f = wt * G[i];
      for (let j = i; j < ZF; j++) this.A[i * ZF + j] = this.A[i * ZF + j] + f * G[j];
      this.b[i] = this.b[i] + f * r;
    }
  }
}

/** Step 1's mean, sd and the variance the temperature compares with. */
interface Spread {
  m: number;
  sd: number;
  vt: number;
}

/**
 * Step 1 from `moments` = [M1, M2, MC]: m, sd and vt, the contracted mixture's variance
 * for `rho` (adapt-2 and the z2 stage) or sd * sd without a contraction (adapt-1).
 */
function spread(moments: Float64Array, rho: number | undefined, out: Spread): Spread {
  const m = moments[0] / 32768;
  const m2 = moments[1] / 32768;
  const v = m2 - m * m;
  // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
  const sd = Math.sqrt(v > ADAPT.VAR_MIN ? v : ADAPT.VAR_MIN);
  out.m = m;
  out.sd = sd;
  if (rho === undefined) {
    out.vt = sd * sd;
  } else {
    const vc = moments[2] / 32768;
    const vr = vc + rho * rho * (v - vc);
    // biome-ignore lint/complexity/useMathMinMax: the spec's comparison, as in l3c-core.c
    out.vt = vr > ADAPT.VAR_MIN ? vr : ADAPT.VAR_MIN;
  }
  return out;
}

function bucket(v: number, edges: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < edges.length; i++) if (v > edges[i]) k = i + 1;
  return k;
}

/** Step 3's lsadd from a context's E and S. */
export function tempOffset(E: number, S: number): number {
  if (!(S > 0)) return 0;
  let lo = 0;
  let hi = ADAPT_TAU_U.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (E > S * ADAPT_TAU_U[mid]) lo = mid + 1;
    else hi = mid;
  }
  return ADAPT_TAU_MIN + lo;
}
