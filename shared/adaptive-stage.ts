/**
 * @module adaptive-stage
 * The adaptive stages "adapt-1", "adapt-2" and "adapt-3": per-tile online adaptation of
 * the network's distributions, computed identically by encoder and decoder from decoded
 * symbols only. A model enables one with `"adapt": "adapt-1"` (or `"adapt-2"`,
 * `"adapt-3"`) in its manifest config (so the model id names it; models without the key
 * code as before). adapt-2 is adapt-1 with the changes of its own section, adapt-3 is
 * adapt-2 plus the z2 stage of the last section. This comment is the specification;
 * `AdaptiveTile` (pixel stages) and `AdaptiveZ` (z2) are its reference implementation
 * and shared/wasm/l3c-core.c follows it
 * operation by operation.
 *
 * ## Arithmetic
 * Everything below is IEEE-754 binary64 arithmetic restricted to + - * / and sqrt, each
 * correctly rounded, evaluated exactly in the order written (left to right; no fused
 * multiply-add, no reassociation), plus floor and comparisons. Integers enter as exact
 * doubles. Its only outputs are integers that feed the integer mixture CDF
 * (logistic-mixture.ts): per sub-pixel a Q8 mean shift and a Q7 log-scale offset, and in
 * adapt-2 each component's Q8 mean after the contraction.
 *
 * ## Where it applies
 * Every pixel stage s = 0..9 of the pyramid (l3c-model.ts: s = 0 the base stage, then
 * l3p1..l3p3, l2p1..l2p3, l1p1..l1p3), every sub-pixel c = 0, 1, 2 (R, G, B) of every coded
 * position, in coding order. State is per tile and starts at zero: tiles stay independent.
 *
 * ## State (per tile)
 * - `res[c][y][x]`: the network residual v - m of every coded sub-pixel (below), 0 before.
 * - `err[c][y][x]`: the adapted residual e = r - d of every coded sub-pixel, 0 before.
 * - one regression group per (s, c): A (30 x 30, symmetric, zero), b (30), theta (30, zero),
 *   a dirty flag;
 * - one temperature context per (s, c, sb, ab) (6 x 4 per (s, c)): E = S = 0.
 *
 * ## Per sub-pixel (stage s of step T, phase offset, pixel (y, x), channel c)
 * 1. Prepare the network's mixture as the model does (clamps, coefficient shifts), then
 *    over its components k in index order (those MixtureCdf.prepare keeps; weights
 *    w_k of 2^15, Q8 means mu_k, inverse scales g_k = EXP_Q20[...]):
 *      mu = mu_k / 256; s = 1048576 / g_k;
 *      M1 += w_k * mu;  M2 += w_k * ((s * s) * V + mu * mu)     (V = LOGISTIC_VAR)
 *    m = M1 / 32768; M2 = M2 / 32768; sd = sqrt(max(M2 - m * m, VAR_MIN)) (max: the
 *    larger; VAR_MIN when equal).
 * 2. Features F[0..29] (below), d = sum_i theta_i * F_i (i ascending, starting from 0),
 *    then d = min(d, sd + 1), d = max(d, -(sd + 1)); madd = floor(d * 256 + 0.5).
 * 3. act = (|F3| + |F4| + |F5| + |F6| + 2 * |F7|) / 6; sb = #{e in SD_EDGES : sd > e};
 *    ab = #{e in ACT_EDGES : act / (sd + 0.3) > e}; context t = (s, c, sb, ab);
 *    lsadd = 0 if not (S_t > 0), else ADAPT_TAU_MIN + #{j : E_t > S_t * ADAPT_TAU_U[j]}
 *    (adapt-tables.ts; = round(64 ln(E/S)) clamped to [-77, 64]).
 * 4. The coded distribution is the network's mixture with every mean increased by madd
 *    (before the mean clamp) and every clamped log-scale increased by lsadd and clamped
 *    again to [-512, 768].
 * 5. After coding value v: r = v - m; e = r - d; res = r; err = e;
 *    E_t = E_t + e * e; S_t = S_t + sd * sd;
 *    wt = 1 / (sd * sd + 1); for i = 0..29: f = wt * F_i; for j = i..29: A_ij = A_ij + f * F_j;
 *    b_i = b_i + f * r; mark the group dirty.
 * At the start of each grid row of stage s, every dirty group (s, c) is solved,
 * theta = (A + LAMBDA I)^-1 b, by Cholesky (L L^T, row by row: for i, for j <= i:
 * t = A_ji + (LAMBDA if i = j); t = t - L_ik * L_jk for k = 0..j-1; L_ii = sqrt(max(t,
 * PIVOT_MIN)) or L_ij = t / L_jj), forward substitution y_i = (b_i - sum_k<i L_ik y_k) /
 * L_ii, back substitution theta_i = (y_i - sum_k>i L_ki theta_k) / L_ii (sums subtract term
 * by term, k ascending), and made clean. At the end of each grid row of stage s, every
 * A_ij (j >= i) and b_i of the stage's three groups is multiplied by DECAY_LS, and E and S
 * of each of its temperature contexts by DECAY_TEMP.
 *
 * ## Features (h = T / 2 for stages s >= 1; offsets (dy, dx) are in units of h)
 * Neighbour (y + a, x + b) is read from the decoded planes; when outside the tile it is
 * mirrored per axis (a -> -a if y + a is outside, b -> -b likewise); when still outside it is
 * "absent". Known(c', q) is the decoded value of channel c' there, or the stated default
 * when absent. xv[c'] are the current pixel's decoded channels c' < c; r[c'] their residuals.
 * - F0 = 1; F1 = r[0] (c >= 1, else 0); F2 = r[1] (c = 2, else 0).
 * - F3..F6: res of channel c at the causal same-stage neighbours W (0, -T), N (-T, 0),
 *   NW (-T, -T), NE (-T, +T) (pixel offsets, not mirrored; 0 when outside);
 *   F21..F24: their values minus m, F25..F28: their err (0 when outside).
 * - Phase type: base stage 0; offset (h, h) type 1; (0, h) type 2; (h, 0) type 3.
 * - Types 1-3: F7 = (sum of res of channel c at PREV offsets, absent -> 0) / count, F29 the
 *   same of err (sums in PREV order);
 *   H0, H1, V0, V1 = Known(c) at the HPAIR and VPAIR offsets (default m);
 *   Ph = 0.5 (H0 + H1), Pv = 0.5 (V0 + V1), gh = |H0 - H1|, gv = |V0 - V1|,
 *   wh = 1 / ((gh + 1)(gh + 1)), wv likewise; F8 = Ph - m, F9 = Pv - m,
 *   F10 = (wh Ph + wv Pv) / (wh + wv) - m; for each earlier channel c' < c, with Hc'0.. =
 *   Known(c') at the same offsets (default xv[c']): dh = 0.5((H0 - Hc'0) + (H1 - Hc'1)),
 *   dv likewise, g1 = gh + |Hc'0 - Hc'1|, g2 = gv + |Vc'0 - Vc'1|, w1 = 1/((g1 + 1)(g1 + 1)),
 *   w2 likewise; F[11 + (c = 1 ? 0 : c')] = (xv[c'] + (w1 dh + w2 dv) / (w1 + w2)) - m;
 *   F13..F20 = Known(c) at the eight NB8 offsets (default m) minus m.
 * - Type 0 (base stage): W, N, NW, NE = F21..F24 + m; F8 = MED(W, N, NW) - m (LOCO-I
 *   median: min(W, N) if NW >= max, max(W, N) if NW <= min, else (W + N) - NW);
 *   F9 = 0.5 (W + NE) - m; for c' < c, Wc' / Nc' = the channel-c' value at W / N (xv[c']
 *   when outside): F[11 + (c = 1 ? 0 : c')] = (xv[c'] + 0.5((W - Wc') + (N - Nc'))) - m.
 * All other features are 0. The offset tables are `NB8`, `HPAIR`, `VPAIR`, `PREV` below.
 *
 * ## adapt-2 (`"adapt": "adapt-2"`): adapt-1 plus a contraction of the mixture
 * Everything above, with three changes (RHO = 0.25, CLIP2 = 3):
 * - Step 2 clips d to [-(CLIP2 * sd + 1), CLIP2 * sd + 1] instead of [-(sd + 1), sd + 1]
 *   (with the contraction, adapt-1's tight clip cost 0.35% on the validation split;
 *   CLIP2 = 3 and 5 measured the same there, and the bound stays for safety).
 * - Step 1 also sums MC += w_k * ((s * s) * V) (in the same loop, after M2), and
 *   vt = max(vc + (RHO * RHO) * ((M2 - m * m) - vc), VAR_MIN) with vc = MC / 32768 and
 *   M2 - m * m the variance of step 1 before its max (max: the larger; VAR_MIN when
 *   equal): the variance of the contracted mixture (its components' own plus RHO^2 x the
 *   spread of their means). Step 5 adds vt to S_t instead of sd * sd.
 * - Step 4b, after step 4: with center = 256 * m + madd, every kept component's Q8 mean
 *   mu (as step 4 leaves it, clamped) becomes mu + floor((RHO - 1) * (mu - center) + 0.5),
 *   clamped again to the mean range [-256 n, 512 n] (MixtureCdf.contract). Weights and
 *   scales stay. The network spreads its components' means to hedge where the pixel
 *   will be; once the regression has moved the mean, most of that hedge is wasted
 *   (measured: -1.7% of the file on the validation split against adapt-1, RHO flat
 *   between 0.15 and 0.5; `training/tools/adapt_research/`).
 *
 * ## adapt-3 (`"adapt": "adapt-3"`): adapt-2 plus the z2 stage
 * The pixel stages code exactly as adapt-2. In addition the z2 symbols (l3c-model.ts, step
 * 2: C channels of an h x w grid, h = H / 4, w = W / 4, channel-major, raster within a
 * channel) are adapted the same way, with their own state (per tile, zero at the start):
 * `zres[c][y][x]`, `zerr[c][y][x]` (0 before coding), and per channel c one regression
 * group (A 21 x 21, b 21, theta 21) and one temperature context (E = S = 0).
 * For channel c = 0..C-1, for each row y: when y >= 1, theta = (A + LAMBDA I)^-1 b (the
 * Cholesky solve of the pixel stages, on 21 features); then for each x:
 * 1. Step 1 of the pixel stages on the network's z mixture (n = L): M1, M2, MC; m, sd;
 *    vt = max(vc + (ZRHO * ZRHO) * ((M2 - m * m) - vc), VAR_MIN), vc = MC / 32768.
 * 2. Features G[0..20]; "outside" means outside the h x w grid, and such a neighbour
 *    gives 0:
 *    - G0 = 1;
 *    - G1..G4: zres of channel c at W (y, x - 1), N (y - 1, x), NW (y - 1, x - 1),
 *      NE (y - 1, x + 1); G5..G8: the coded symbol there (its level, 0..L-1) minus m;
 *      G9..G12: zerr there;
 *    - G[13 + c'] = zres of channel c' at (y, x), for c' < c and c' < 4 (else 0);
 *    - when c >= 1, G17..G20: zres of channel c - 1 at (y, x + 1), (y + 1, x), (y, x - 1),
 *      (y - 1, x) (channel c - 1 is fully coded: both sides are known).
 *    d = sum_i theta_i * G_i (i ascending), clipped to [-(CLIP2 * sd + 1), CLIP2 * sd + 1];
 *    madd = floor(d * 256 + 0.5); lsadd = the temperature offset of channel c's context
 *    (step 3 of the pixel stages, on its E and S).
 * 3. The coded distribution: step 4 and step 4b of adapt-2 with ZRHO for RHO (means
 *    clamped to [-256 L, 512 L]).
 * 4. After coding value v: r = v - m; e = r - d; zres = r; zerr = e; E = E + e * e;
 *    S = S + vt; wt = 1 / (sd * sd + 1); for i = 0..20: f = wt * G_i; for j = i..20:
 *    A_ij = A_ij + f * G_j; b_i = b_i + f * r.
 * At the end of each row: every A_ij (j >= i) and b_i of channel c multiplied by ZDECAY,
 * its E and S by DECAY_TEMP. ZRHO = 0.5, ZDECAY = 0.9; LAMBDA, PIVOT_MIN, VAR_MIN and
 * CLIP2 as above. z1 is coded as before (the encoder sends it at its prior's mode, which
 * an adjusted distribution would only make dearer); z3 keeps its static table.
 * Measured on the validation split with l3c-pyramid-v4's networks: z2 0.1608 -> 0.1454
 * bpsp (-0.4% of the file; Kodak 0.1503 -> 0.1382); the regression alone is -0.009, the
 * contraction and temperature the rest, and finer temperature contexts gave nothing.
 */

import { ADAPT_TAU_MIN, ADAPT_TAU_U } from "./adapt-tables.js";

/** The name a model config gives to enable this stage: adapt-1, adapt-2 or adapt-3 (schemes 1 to 3). */
export const ADAPT_SCHEMES: readonly string[] = Object.freeze(["adapt-1", "adapt-2", "adapt-3"]);

/** The scheme number of a config's `adapt` (0: none); undefined when unknown. */
export function adaptScheme(name: string | undefined): number | undefined {
  if (name === undefined) return 0;
  const i = ADAPT_SCHEMES.indexOf(name);
  return i < 0 ? undefined : i + 1;
}

/** Constants of adapt-1 (exact doubles; the C build writes them with the same digits). */
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
});

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
 * The state of adapt-1 for one tile (reference implementation). The caller walks the
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

  /** 1 (adapt-1), 2 (adapt-2) or 3 (adapt-3: the pixel stages as adapt-2). */
  readonly scheme: number;

  constructor(width: number, height: number, scheme = 1) {
    if (scheme !== 1 && scheme !== 2 && scheme !== 3)
      throw new RangeError(`adaptive scheme ${scheme} is not 1, 2 or 3`);
    this.scheme = scheme;
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
    for (let c = 0; c < 3; c++) {
      const g = stage * 3 + c;
      const A = g * NF * NF;
      for (let i = 0; i < NF; i++) {
        for (let j = i; j < NF; j++) this.A[A + i * NF + j] *= ADAPT.DECAY_LS;
        this.b[g * NF + i] *= ADAPT.DECAY_LS;
      }
    }
    const n = 3 * NSB * NACT;
    for (let i = stage * n; i < (stage + 1) * n; i++) {
      this.E[i] *= ADAPT.DECAY_TEMP;
      this.S[i] *= ADAPT.DECAY_TEMP;
    }
  }

  /**
   * Step 1-3 for sub-pixel c of the pixel (y, x) of `stage`: `moments` = [M1, M2, MC] of
   * the network's prepared mixture (MixtureCdf.moments; MC read by adapt-2 only), xv / rv
   * the pixel's earlier channels and their residuals.
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
    const { m, sd, vt } = spread(moments, this.scheme >= 2 ? ADAPT.RHO : undefined, this.st);
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
    const act = (Math.abs(F[3]) + Math.abs(F[4]) + Math.abs(F[5]) + Math.abs(F[6]) + 2 * Math.abs(F[7])) / 6;
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
  }

  /** Step 5 after coding value v at plane offset o (y W + x); returns the residual. */
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
    return r;
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
    ridgeSolve(NF, this.A, g * NF * NF, this.b, g * NF, this.L, this.yv, this.theta);
  }
}

/**
 * theta[t0 + 0..n-1] = (A + LAMBDA I)^-1 b for the n x n block at A[a0] (upper triangle
 * valid, row-major) and b[t0]: Cholesky, forward and back substitution in the spec's
 * order. L (n x n) and yv (n) are scratch.
 */
function ridgeSolve(
  n: number,
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
      let s = A[a0 + j * n + i] + (i === j ? ADAPT.LAMBDA : 0);
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
 * The z2 stage of adapt-3 for one tile (reference implementation; spec: the adapt-3
 * section above). The caller codes channel by channel, row by row: `rowStart(y)`, then
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
    ridgeSolve(ZF, this.A, 0, this.b, 0, this.L, this.yv, this.theta);
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
