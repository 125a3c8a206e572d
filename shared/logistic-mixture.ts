/**
 * @module logistic-mixture
 * The discretized logistic mixture of L3C as an integer CDF with 16-bit precision,
 * specified in SPEC.md §6 (this comment summarises it). Encoder and decoder must compute
 * identical CDFs, so it uses integer arithmetic only (every intermediate is an integer
 * below 2^53, exact in any language with 64-bit integers or IEEE doubles). Floating
 * point reaches a CDF only through the adaptive stages (SPEC.md §7): as the integers
 * madd and lsadd, and through the contraction of the means (`contract`, SPEC.md §6.5),
 * all computed with the correctly rounded double operations of SPEC.md §1.2.
 *
 * ## Symbols
 * A symbol is an integer v in [0, n), 2 <= n <= 4096: a sub-pixel (n = 256) or a
 * quantized z level (n = L). Bin v covers [v - 1/2, v + 1/2] in "symbol units"; the
 * lowest and highest bins also take the tails.
 *
 * ## Parameter formats (SPEC.md §5.4; what the integer networks emit, per component k < K <= 32)
 * | name        | type  | fixed point              | clamp                        |
 * |-------------|-------|--------------------------|------------------------------|
 * | logit  pi_k | int32 | Q7 nats  (value / 128)   | [-32768, 32768]              |
 * | mean   mu_k | int32 | Q8 symbol units (/ 256)  | [-256 n, 512 n]              |
 * | log-scale   | int32 | Q7 nats of symbol units  | [-512, 768] (s in [e^-4, e^6]) |
 * | coefficient | int32 | Q12 (value / 4096)       | [-4096, 4096]                |
 *
 * Coefficients (RGB only; alpha: G<-R, beta: B<-R, gamma: B<-G), after clamping them,
 * shift the means of the later channels by the already decoded values (x in 0..255);
 * the shift is added to the raw mean before the mean is clamped:
 *   mu_G,k += floor(alpha_k (2 x_R - 255) / 32)
 *   mu_B,k += floor((beta_k (2 x_R - 255) + gamma_k (2 x_G - 255)) / 32)
 * (in real terms mu += coef * (x - 127.5), with mu in Q8).
 *
 * ## CDF (SPEC.md §6.2)
 * 1. Clamp every parameter as in the table.
 * 2. Weights: m = max_k pi_k; e_k = EXP_Q20[512 + min(m - pi_k, 2048)]; E = sum e_k;
 *    w_k = floor(e_k 2^15 / E); then the first k with pi_k = m gets w_k += 2^15 - sum w_k.
 *    So sum w_k = 2^15 exactly.
 * 3. Inverse scales: g_k = EXP_Q20[512 + lambda_k] (= 2^20 exp(-s_k), Q20).
 * 4. For a boundary v in [1, n): B = 256 v - 128 (Q8, the point v - 1/2). Per component:
 *    d = B - mu_k; a = |d| g_k; q = floor(a / 2^13) (t = |d| / s in Q15);
 *    i = floor(q / 256), f = q mod 256;
 *    s = 2^20 if i >= 2048, else SIGMOID_Q20[i] + floor((SIGMOID_Q20[i+1] - SIGMOID_Q20[i]) f / 256);
 *    sigma_k = s if d >= 0, else 2^20 - s.
 * 5. F(v) = sum_k w_k sigma_k (at most 2^35);
 *    C(v) = floor(F(v) (2^16 - n) / 2^35) + v for 0 < v < n; C(0) = 0; C(n) = 2^16.
 * C is strictly increasing, so every symbol has frequency >= 1 (probability >= 2^-16),
 * and a single C(v) costs O(K): the decoder finds a symbol by bisection without building
 * the whole table.
 * The tables SIGMOID_Q20 and EXP_Q20 are in mixture-tables.ts (SPEC.md §1.4).
 */

import { L3cError } from "./errors.js";
import { EXP_Q20, SIGMOID_Q20 } from "./mixture-tables.js";
import type { RangeDecoder, RangeEncoder } from "./range-coder.js";

export const LOGIT_FRAC_BITS = 7;
export const MEAN_FRAC_BITS = 8;
export const LOG_SCALE_FRAC_BITS = 7;
export const COEF_FRAC_BITS = 12;
export const LOGIT_MIN = -32768;
export const LOGIT_MAX = 32768;
export const LOG_SCALE_MIN = -512;
export const LOG_SCALE_MAX = 768;
export const COEF_MIN = -4096;
export const COEF_MAX = 4096;
export const MAX_COMPONENTS = 32;
export const MAX_ALPHABET = 4096;

const W_ONE = 1 << 15;
const SIG_ONE = 1 << 20;
const TWO35 = 2 ** 35;
const TWO13 = 2 ** 13;
const TWO24 = 2 ** 24;

/** adapt-4: the bin of a Q24 share u among `bins` equal bins, min(floor(u / (2^24 / bins)), bins - 1). */
export function shareBin(u: number, bins: number): number {
  return Math.min(Math.floor(u / (TWO24 / bins)), bins - 1);
}

/** adapt-4: one table's G(u) (see MixtureCdf.secondary); T has bins + 1 knots. */
function mapShare(T: Float64Array, u: number): number {
  const bins = T.length - 1;
  const w = TWO24 / bins;
  const j = shareBin(u, bins);
  const r = u - j * w;
  return T[j] + Math.floor(((T[j + 1] - T[j]) * r) / w);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

/** Mean shift (Q8) of G: floor(alpha (2 x_R - 255) / 32), alpha clamped (Q12). */
export function coefShift(coefQ12: number, x: number): number {
  return Math.floor((clamp(coefQ12, COEF_MIN, COEF_MAX) * (2 * x - 255)) / 32);
}

/** Mean shift (Q8) of B: floor((beta (2 x_R - 255) + gamma (2 x_G - 255)) / 32). */
export function coefShift2(betaQ12: number, xR: number, gammaQ12: number, xG: number): number {
  return Math.floor(
    (clamp(betaQ12, COEF_MIN, COEF_MAX) * (2 * xR - 255) +
      clamp(gammaQ12, COEF_MIN, COEF_MAX) * (2 * xG - 255)) /
      32,
  );
}

/** Where {@link MixtureCdf.prepare} reads one mixture's parameters. */
export interface MixtureSource {
  /** The logits (and the means and log-scales, when those are not given: one tensor). */
  logits: ArrayLike<number>;
  means?: ArrayLike<number>;
  logScales?: ArrayLike<number>;
  /** Index of component 0's logit (default 0), and the step between components (default 1). */
  offset?: number;
  stride?: number;
  /** Q8 coefficient shifts, one per component, added to the means before clamping. */
  shifts?: ArrayLike<number>;
  /** Where means and log-scales sit relative to the logits, when all live in one array. */
  meanOffset?: number;
  scaleOffset?: number;
  /** The adaptive stage's adjustments: Q8 added to every mean with the shifts, Q7 added to every clamped log-scale, which is clamped again (0 otherwise). */
  meanAdd?: number;
  logScaleAdd?: number;
}

/**
 * A mixture prepared for one symbol: weights, means and inverse scales in their
 * integer forms. Reuse one instance (prepare() overwrites it) to avoid allocation.
 */
export class MixtureCdf {
  readonly maxK: number;
  private readonly w: Float64Array;
  private readonly mu: Float64Array;
  private readonly g: Float64Array;
  private k = 0;
  private n = 0;
  private scale = 0;

  constructor(maxK = MAX_COMPONENTS) {
    this.maxK = maxK;
    this.w = new Float64Array(maxK);
    this.mu = new Float64Array(maxK);
    this.g = new Float64Array(maxK);
  }

  /**
   * Load K components (SPEC.md §6.1) read from `src`: entry k of each parameter at
   * `offset + k * stride` of its array (the networks emit channels-last tensors, SPEC.md
   * §5.4, so stride is 1); see {@link MixtureSource} for the rest.
   */
  prepare(n: number, k: number, src: MixtureSource): this {
    const { logits, offset = 0, stride = 1, shifts, meanOffset = 0, scaleOffset = 0 } = src;
    const { meanAdd = 0, logScaleAdd = 0 } = src;
    const means = src.means ?? logits;
    const logScales = src.logScales ?? logits;
    if (!(n >= 2 && n <= MAX_ALPHABET && Number.isInteger(n))) {
      throw new L3cError("INVALID_ARGUMENT", `alphabet size ${n} outside [2, ${MAX_ALPHABET}]`);
    }
    if (!(k >= 1 && k <= this.maxK && Number.isInteger(k))) {
      throw new L3cError("INVALID_ARGUMENT", `component count ${k} outside [1, ${this.maxK}]`);
    }
    this.k = k;
    this.n = n;
    this.scale = 65536 - n;
    const w = this.w;
    const mu = this.mu;
    const g = this.g;
    const muLo = -256 * n;
    const muHi = 512 * n;
    // (Hot path: clamps written out; same arithmetic as the spec above.)
    let m = LOGIT_MIN;
    let kMax = 0;
    for (let j = 0; j < k; j++) {
      const at = offset + j * stride;
      let l = logits[at];
      l = l < LOGIT_MIN ? LOGIT_MIN : Math.min(l, LOGIT_MAX);
      if (l > m || j === 0) {
        m = l;
        kMax = j;
      }
      w[j] = l; // temporarily the clamped logit
      const v = means[at + meanOffset] + (shifts !== undefined ? shifts[j] : 0) + meanAdd;
      mu[j] = v < muLo ? muLo : Math.min(v, muHi);
      let ls = logScales[at + scaleOffset];
      ls = ls < LOG_SCALE_MIN ? LOG_SCALE_MIN : Math.min(ls, LOG_SCALE_MAX);
      if (logScaleAdd !== 0) {
        ls += logScaleAdd;
        ls = ls < LOG_SCALE_MIN ? LOG_SCALE_MIN : Math.min(ls, LOG_SCALE_MAX);
      }
      g[j] = EXP_Q20[512 + ls];
    }
    let e = 0;
    for (let j = 0; j < k; j++) {
      const u = m - w[j];
      const ej = EXP_Q20[512 + Math.min(u, 2048)];
      w[j] = ej;
      e += ej;
    }
    // Weights, then the remainder to the first heaviest logit's component; components
    // with weight 0 add exactly 0 to F, so they are dropped (exact, and faster).
    let sum = 0;
    let a = 0;
    let maxAt = 0;
    for (let j = 0; j < k; j++) {
      // Exact: the quotient is <= 2^15, so double rounding (< 2^-37) cannot cross an
      // integer, and any non-integer quotient is >= 1/e >= 2^-25 away from one.
      const wj = Math.floor((w[j] * W_ONE) / e);
      sum += wj;
      if (j === kMax) maxAt = a;
      else if (wj === 0) continue;
      w[a] = wj;
      mu[a] = mu[j];
      g[a] = g[j];
      a++;
    }
    w[maxAt] += W_ONE - sum;
    this.k = a;
    this.sse1 = undefined;
    this.sse2 = undefined;
    this.sse3 = undefined;
    // The decoder's first probe: the mean of the (first) heaviest remaining component.
    let best = 0;
    for (let j = 1; j < a; j++) if (w[j] > w[best]) best = j;
    const guess = Math.round(mu[best] / 256);
    this.guess = (guess < 0 ? 0 : Math.min(guess, n - 1)) | 0;
    return this;
  }

  private guess = 0;
  private sse1: Float64Array | undefined;
  private sse2: Float64Array | undefined;
  private sse3: Float64Array | undefined;

  /**
   * adapt-4's secondary estimation (SPEC.md §7.10), until the next prepare(): C(v) maps the
   * share f first, through two tables of SSE_BINS + 1 nondecreasing Q24 knots (T[0] = 0,
   * T[bins] = 2^24) whose results are averaged: u = floor(f / 2^11); per table
   * G = T[j] + floor((T[j + 1] - T[j]) r / w) with w = 2^24 / bins,
   * j = min(floor(u / w), bins - 1), r = u - j w; M = floor((G1 + G2) / 2);
   * C(v) = floor(M (2^16 - n) / 2^24) + v. adapt-5 (§7.11) may give a third table, which
   * counts twice: M = floor((G1 + G2 + 2 G3) / 4).
   */
  secondary(t1: Float64Array, t2: Float64Array, t3?: Float64Array): this {
    this.sse1 = t1;
    this.sse2 = t2;
    this.sse3 = t3;
    return this;
  }

  /**
   * Moments for the adaptive stage (SPEC.md §7.3), over the kept components
   * in order: out[0] = sum w_k mu, out[1] = sum w_k ((s s) V + mu mu), out[2] (when `out`
   * has room) = sum w_k ((s s) V), mu = mu_k / 256, s = 2^20 / g_k, V = pi^2 / 3
   * (`variance`).
   */
  moments(out: Float64Array, variance: number): Float64Array {
    let m1 = 0;
    let m2 = 0;
    let mc = 0;
    for (let j = 0; j < this.k; j++) {
      const mu = this.mu[j] / 256;
      const s = SIG_ONE / this.g[j];
      const cv = s * s * variance;
      m1 += this.w[j] * mu;
      m2 += this.w[j] * (cv + mu * mu);
      mc += this.w[j] * cv;
    }
    out[0] = m1;
    out[1] = m2;
    if (out.length > 2) out[2] = mc;
    return out;
  }

  /**
   * The contraction of adapt-2 and adapt-3 (SPEC.md §6.5): every kept component's Q8 mean moves toward
   * `center` (the adapted mixture mean, Q8): mu = mu + floor(rhoMinus1 * (mu - center) +
   * 0.5), clamped to the mean range [-256 n, 512 n] again. Weights and scales stay.
   */
  contract(rhoMinus1: number, center: number): this {
    const muLo = -256 * this.n;
    const muHi = 512 * this.n;
    const mu = this.mu;
    let best = 0;
    for (let j = 0; j < this.k; j++) {
      const v = mu[j] + Math.floor(rhoMinus1 * (mu[j] - center) + 0.5);
      mu[j] = v < muLo ? muLo : Math.min(v, muHi);
      if (this.w[j] > this.w[best]) best = j;
    }
    const guess = Math.round(mu[best] / 256);
    this.guess = (guess < 0 ? 0 : Math.min(guess, this.n - 1)) | 0;
    return this;
  }

  /** C(v), 0 <= v <= n. */
  cdf(v: number): number {
    if (v <= 0) return 0;
    if (v >= this.n) return 65536;
    const f = this.share(v);
    if (this.sse1 === undefined || this.sse2 === undefined) return Math.floor((f * this.scale) / TWO35) + v;
    const u = Math.floor(f / 2048);
    const g =
      this.sse3 === undefined
        ? Math.floor((mapShare(this.sse1, u) + mapShare(this.sse2, u)) / 2)
        : Math.floor((mapShare(this.sse1, u) + mapShare(this.sse2, u) + 2 * mapShare(this.sse3, u)) / 4);
    return Math.floor((g * this.scale) / TWO24) + v;
  }

  /** F(v) = sum_k w_k sigma_k (SPEC.md §6.2 step 5), the Q35 share below boundary v (0 < v < n). */
  share(v: number): number {
    const b = 256 * v - 128;
    let f = 0;
    for (let j = 0; j < this.k; j++) {
      const d = b - this.mu[j];
      const q = Math.floor(((d < 0 ? -d : d) * this.g[j]) / TWO13);
      let s = SIG_ONE;
      if (q < 524288) {
        const i = q >>> 8;
        s = SIGMOID_Q20[i] + (((SIGMOID_Q20[i + 1] - SIGMOID_Q20[i]) * (q & 255)) >> 8);
      }
      f += this.w[j] * (d >= 0 ? s : SIG_ONE - s);
    }
    return f;
  }

  /** adapt-4: the Q24 share u = floor(F(v) / 2^11) below boundary v; 0 at v <= 0, 2^24 at v >= n. */
  shareQ24(v: number): number {
    if (v <= 0) return 0;
    if (v >= this.n) return TWO24;
    return Math.floor(this.share(v) / 2048);
  }

  /** Code symbol v (0 <= v < n); returns its frequency (of 65536). */
  encode(enc: RangeEncoder, v: number): number {
    if (!(v >= 0 && v < this.n && Number.isInteger(v))) {
      throw new L3cError("INVALID_ARGUMENT", `symbol ${v} outside alphabet of ${this.n}`);
    }
    const lo = this.cdf(v);
    const size = this.cdf(v + 1) - lo;
    enc.encode(lo, size);
    return size;
  }

  /**
   * Decode one symbol: probe C around the mean of the heaviest component, widen the
   * bracket by doubling steps, then bisect. Same result as plain bisection over C (the
   * unique v with C(v) <= target < C(v + 1)), with ~3 evaluations instead of log2(n).
   * How the search probes is not part of the format (SPEC.md §6.4): any search that
   * finds that v decodes the same stream. (l3c-core.c starts the adaptive stages'
   * searches at the target's quantile under the adapted mean and spread.)
   */
  decode(dec: RangeDecoder): number {
    const t = dec.target();
    const n = this.n;
    let lo: number;
    let hi: number;
    let clo: number;
    let chi: number;
    const v0 = this.guess;
    const c0 = this.cdf(v0);
    if (c0 <= t) {
      // search upward for hi with C(hi) > t
      lo = v0;
      clo = c0;
      let step = 1;
      hi = v0 + 1;
      chi = this.cdf(hi);
      while (chi <= t) {
        lo = hi;
        clo = chi;
        step *= 2;
        hi = Math.min(n, lo + step);
        chi = this.cdf(hi);
      }
    } else {
      hi = v0;
      chi = c0;
      let step = 1;
      lo = Math.max(0, v0 - 1);
      clo = this.cdf(lo);
      while (clo > t) {
        hi = lo;
        chi = clo;
        step *= 2;
        lo = Math.max(0, hi - step);
        clo = this.cdf(lo);
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const c = this.cdf(mid);
      if (c <= t) {
        lo = mid;
        clo = c;
      } else {
        hi = mid;
        chi = c;
      }
    }
    dec.consume(clo, chi - clo);
    return lo;
  }

  /** The whole table C(0..n), for tests, vectors and table-driven coding. */
  table(): Int32Array {
    const t = new Int32Array(this.n + 1);
    for (let v = 0; v <= this.n; v++) t[v] = this.cdf(v);
    return t;
  }
}

/** Check a CDF table: cdf[0] = 0, strictly increasing, cdf[n] = 65536, n >= 2. */
export function validateCdf(cdf: ArrayLike<number>): void {
  const n = cdf.length - 1;
  if (n < 1) throw new L3cError("INVALID_CDF", "cdf needs at least 2 entries");
  if (cdf[0] !== 0) throw new L3cError("INVALID_CDF", `cdf[0]=${cdf[0]}`);
  for (let i = 1; i <= n; i++) {
    if (!(cdf[i] > cdf[i - 1]) || !Number.isInteger(cdf[i])) {
      throw new L3cError("INVALID_CDF", `not strictly increasing at ${i}`);
    }
  }
  if (cdf[n] !== 65536) throw new L3cError("INVALID_CDF", `cdf[${n}]=${cdf[n]}`);
}
