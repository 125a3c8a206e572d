/**
 * @module entropy-core
 * The entropy path of one coded tile, behind one interface with two implementations:
 * `tsCore` here (the readable reference, built from range-coder.ts, logistic-mixture.ts
 * and adaptive-stage.ts) and the WebAssembly build of shared/wasm/l3c-core.c
 * (wasm-core.ts), which computes the same bytes faster. l3c-model.ts says which symbols
 * a tile holds and in which order; a TileCoder codes them.
 */

import { ADAPT, AdaptiveTile, AdaptiveZ, type Adjustment, phaseType } from "./adaptive-stage.js";
import { L3cError } from "./errors.js";
import { coefShift, coefShift2, MixtureCdf } from "./logistic-mixture.js";
import { RangeDecoder, RangeEncoder } from "./range-coder.js";

/** One pixel stage's geometry (l3c-model.ts): grid step, phase offset. */
export interface StageGeometry {
  /** Index in coding order, 0 = base. */
  index: number;
  step: number;
  oy: number;
  ox: number;
}

/** Codes (encoder) or decodes (decoder) the symbols of one tile, in call order. */
export interface TileCoder {
  /** z3: symbols with a static table (cdf of n + 1 entries). */
  table(cdf: Int32Array, sym: Uint8Array): void;
  /**
   * z2 (level 2) / z1 (level 1): C x hw symbols, channel-major, mixture params NHWC
   * (P = 3 C K), alphabet L; hw = (H / 2^level) x (W / 2^level). With adapt-3, level 2
   * runs the z2 stage (adaptive-stage.ts).
   */
  z(level: 1 | 2, params: Int32Array, C: number, K: number, L: number, hw: number, sym: Uint8Array): void;
  /**
   * One pixel stage over the tile's packed RGB (read when encoding, written when
   * decoding); params NHWC, P = 12 K, over the stage grid of (H / step) x (W / step).
   */
  stage(geo: StageGeometry, params: Int32Array, K: number, rgb: Uint8Array): void;
  /** Encoder: the range-coded payload. Decoder: nothing (returns an empty array). */
  finish(): Uint8Array;
  /** Frees what the coder holds (wasm memory); idempotent. */
  dispose(): void;
}

export interface TileCoderOptions {
  width: number;
  height: number;
  /** The adaptive stage: 0 none, 1..6 adapt-1..adapt-6 (adaptive-stage.ts). */
  adapt: number;
}

export interface EntropyCore {
  readonly name: string;
  /**
   * Encoder policy helper (decoding never calls it): the most probable level of each of
   * the C x hw z symbols (layout of TileCoder.z), the lowest on ties.
   */
  zMode(params: Int32Array, C: number, K: number, L: number, hw: number): Uint8Array;
  /** The table C(0..n) of one mixture (conformance vectors; MixtureCdf.table). */
  mixtureTable(
    n: number,
    K: number,
    logits: Int32Array,
    means: Int32Array,
    logScales: Int32Array,
    shifts?: Int32Array,
  ): Int32Array;
  encoder(opts: TileCoderOptions & { symbols: number }): TileCoder;
  decoder(data: Uint8Array, opts: TileCoderOptions): TileCoder;
}

/**
 * The z grid of a level (TileCoder.z): (H / 2^level) x (W / 2^level) of the tile padded to
 * multiples of 8; `hw` must be its size.
 */
export function zGrid(opts: TileCoderOptions, level: 1 | 2, hw: number): [h: number, w: number] {
  const zh = ((opts.height + 7) & ~7) >> level;
  const zw = ((opts.width + 7) & ~7) >> level;
  if (hw !== zh * zw)
    throw new L3cError("INVALID_ARGUMENT", `z${level}: ${hw} positions, expected ${zh * zw}`);
  return [zh, zw];
}

class TsTileCoder implements TileCoder {
  private readonly mix: MixtureCdf;
  private readonly shifts = new Int32Array(32);
  private readonly moments = new Float64Array(3);
  private readonly adj: Adjustment = { madd: 0, lsadd: 0, center: 0 };
  private readonly tile?: AdaptiveTile;
  private readonly W: number;
  private readonly H: number;

  constructor(
    private readonly opts: TileCoderOptions,
    private readonly enc?: RangeEncoder,
    private readonly dec?: RangeDecoder,
  ) {
    this.mix = new MixtureCdf(32);
    this.W = (opts.width + 7) & ~7;
    this.H = (opts.height + 7) & ~7;
    if (opts.adapt) this.tile = new AdaptiveTile(opts.width, opts.height, opts.adapt);
  }

  table(cdf: Int32Array, sym: Uint8Array): void {
    if (this.enc) for (let i = 0; i < sym.length; i++) this.enc.encodeSymbol(cdf, sym[i]);
    else for (let i = 0; i < sym.length; i++) sym[i] = this.decoder.decodeSymbol(cdf);
  }

  z(level: 1 | 2, p: Int32Array, C: number, K: number, L: number, hw: number, sym: Uint8Array): void {
    const ck = C * K;
    const [zh, zw] = zGrid(this.opts, level, hw);
    const za = level === 2 && this.opts.adapt >= 3 ? new AdaptiveZ(C, zh, zw) : undefined;
    for (let c = 0; c < C; c++)
      for (let y = 0; y < zh; y++) {
        za?.rowStart(y);
        for (let x = 0; x < zw; x++) {
          const i = y * zw + x;
          const at = i * 3 * ck + c * K;
          let m = this.mix.prepare(L, K, { logits: p, offset: at, meanOffset: ck, scaleOffset: 2 * ck });
          if (za) {
            m.moments(this.moments, ADAPT.LOGISTIC_VAR);
            za.adjust(c, y, x, this.moments, this.adj);
            m = this.mix.prepare(L, K, {
              logits: p,
              offset: at,
              meanOffset: ck,
              scaleOffset: 2 * ck,
              meanAdd: this.adj.madd,
              logScaleAdd: this.adj.lsadd,
            });
            m.contract(ADAPT.ZRHO - 1, this.adj.center);
          }
          let v: number;
          if (this.enc) {
            v = sym[c * hw + i];
            m.encode(this.enc, v);
          } else {
            v = m.decode(this.decoder);
            sym[c * hw + i] = v;
          }
          za?.update(c, y, x, v);
        }
        za?.rowEnd();
      }
  }

  stage(geo: StageGeometry, p: Int32Array, K: number, rgb: Uint8Array): void {
    const { width, height } = this.opts;
    const { step, oy, ox } = geo;
    const gh = this.H / step;
    const gw = this.W / step;
    const plane = 3 * K;
    const tile = geo.index < ADAPT.STAGES ? this.tile : undefined;
    const ptype = phaseType(geo.index, oy, ox);
    const xv = new Int32Array(3);
    const rv = new Float64Array(3);
    for (let gy = 0; gy < gh; gy++) {
      const y = gy * step + oy;
      if (y >= height) break;
      tile?.rowStart(geo.index);
      for (let gx = 0; gx < gw; gx++) {
        const x = gx * step + ox;
        if (x >= width) break;
        const base = (gy * gw + gx) * 4 * plane;
        const src = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          let shifts: Int32Array | undefined;
          if (c > 0) {
            shifts = this.shifts;
            const coef = base + 3 * plane;
            for (let k = 0; k < K; k++)
              shifts[k] =
                c === 1
                  ? coefShift(p[coef + k], xv[0])
                  : coefShift2(p[coef + K + k], xv[0], p[coef + 2 * K + k], xv[1]);
          }
          const at = base + c * K;
          let madd = 0;
          let lsadd = 0;
          if (tile) {
            this.mix.prepare(256, K, {
              logits: p,
              offset: at,
              shifts,
              meanOffset: plane,
              scaleOffset: 2 * plane,
            });
            this.mix.moments(this.moments, ADAPT.LOGISTIC_VAR);
            tile.adjust(geo.index, ptype, step, y, x, c, this.moments, xv, rv, this.adj);
            madd = this.adj.madd;
            lsadd = this.adj.lsadd;
          }
          const m = this.mix.prepare(256, K, {
            logits: p,
            offset: at,
            shifts,
            meanOffset: plane,
            scaleOffset: 2 * plane,
            meanAdd: madd,
            logScaleAdd: lsadd,
          });
          if (tile && tile.scheme >= 2) m.contract(tile.tuning.rho - 1, this.adj.center);
          if (tile && tile.scheme >= 4) {
            const [t1, t2, t3] = tile.secondaryTables();
            m.secondary(t1, t2, t3);
          }
          let v: number;
          if (this.enc) {
            v = rgb[src + c];
            m.encode(this.enc, v);
          } else {
            v = m.decode(this.decoder);
            rgb[src + c] = v;
          }
          xv[c] = v;
          if (tile && tile.scheme >= 4) tile.secondaryUpdate(m.shareQ24(v), m.shareQ24(v + 1));
          if (tile) rv[c] = tile.update(c, y * this.W + x, v);
        }
      }
      tile?.rowEnd(geo.index);
    }
  }

  private get decoder(): RangeDecoder {
    if (!this.dec) throw new L3cError("INVALID_ARGUMENT", "not a decoder");
    return this.dec;
  }

  finish(): Uint8Array {
    return this.enc ? this.enc.finish().slice() : new Uint8Array(0);
  }

  dispose(): void {}
}

/** The TypeScript reference implementation. */
export const tsCore: EntropyCore = {
  name: "ts",
  mixtureTable(n, K, logits, means, logScales, shifts) {
    return new MixtureCdf(32).prepare(n, K, { logits, means, logScales, shifts }).table();
  },
  zMode(p, C, K, L, hw) {
    const mix = new MixtureCdf(32);
    const out = new Uint8Array(C * hw);
    const ck = C * K;
    for (let c = 0; c < C; c++)
      for (let i = 0; i < hw; i++) {
        const t = mix
          .prepare(L, K, { logits: p, offset: i * 3 * ck + c * K, meanOffset: ck, scaleOffset: 2 * ck })
          .table();
        let arg = 0;
        for (let v = 1; v < L; v++) if (t[v + 1] - t[v] > t[arg + 1] - t[arg]) arg = v;
        out[c * hw + i] = arg;
      }
    return out;
  },
  encoder: (opts) => new TsTileCoder(opts, new RangeEncoder(Math.max(1024, opts.width * opts.height))),
  decoder: (data, opts) => new TsTileCoder(opts, undefined, new RangeDecoder(data)),
};
