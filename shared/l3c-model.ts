/**
 * @module l3c-model
 * The L3C tile model (architectures "pyramid" and "phase4"): which symbols a coded tile
 * holds, in which order, and which integer parameters their CDFs come from. The networks
 * run in an injected {@link GraphRunner} (onnxruntime-node, onnxruntime-web, ...) and the
 * symbols are coded by an injected {@link EntropyCore} (the TypeScript reference or its
 * WebAssembly build: same bytes); this module only moves integers, so encoder and
 * decoder see identical CDFs whatever runs the graphs. Specified in SPEC.md §4 (symbols,
 * order, the pyramid's passes) and §5 (graph roles, tensors, parameter formats); the
 * summary below follows it.
 *
 * Coded tile (mode 1 payload) of w x h pixels, W = ceil8(w), H = ceil8(h):
 * 1. z3: C x H/8 x W/8 symbols, channel-major then raster. Channel c's symbols use the
 *    model's static table `z3_cdf[c]` when its manifest config has one (C rows of L + 1
 *    integers: 0 = cdf[0] < cdf[1] < ... < cdf[L] = 65536), else the uniform CDF
 *    cdf[i] = floor(i 65536 / L). (A table is part of the model, hence of its id.)
 * 2. z2: C x H/4 x W/4 symbols, same order, mixture CDFs (n = L) from `dec3(z3)`.
 * 3. z1: C x H/2 x W/2 symbols, mixture CDFs from `dec2(z2, f3)`; none with `"z1": "none"`
 *    in the config: then `dec2` has no z1_params and `dec1` sees the level floor((L - 1) / 2)
 *    at every position (a model trained so; its decoder runs no z1 prior).
 * 4. pixels, in stages. A stage runs one head graph on features f and pixel planes pix
 *    (3 planes, R G B, per earlier phase; value 128 outside the tile) and codes, for each
 *    grid position (y, x) in raster order whose pixel (y step + oy, x step + ox) lies
 *    inside the tile, R, then G (means shifted by coefShift(alpha, R)), then B
 *    (coefShift2(beta, R, gamma, G)), all with n = 256. Phases (dy, dx) = (0,0), (1,1),
 *    (0,1), (1,0).
 *    - architecture "phase4": `head{p}` (p = 0..3) on f1 = `dec1(z1, f2)`, step 2,
 *      offset (dy_p, dx_p), planes of phases 0..p-1.
 *    - architecture "pyramid": `base` on h3 (step 8, no planes), then for levels
 *      l = 3, 2, 1 and p = 1..3: `l{l}p{p}` on h3, h2, f1 respectively, step 2^l,
 *      offset (dy_p, dx_p) 2^(l-1), planes of phases 0..p-1 of that level (phase 0 being
 *      the pixels at multiples of 2^l, coded by earlier stages).
 * With `"adapt": "adapt-1"`, `"adapt-2"` or `"adapt-3"` in the config (pyramid only), every pixel
 * stage's mixtures are adjusted per sub-pixel by the adaptive stage (SPEC.md §7,
 * adaptive-stage.ts) before coding; with adapt-3 the z2 symbols' mixtures are adjusted too.
 * Encoder policy (not part of the format; decoders never depend on it): for adaptive
 * models the encoder sends z1 as the mode of its prior (`L3cTileModel.z1Mode`).
 * Parameter tensors are channels-last (positions x P): z params P = (3, C, K) =
 * [logits, means, log-scales]; RGB params P = (4, 3, K) = [logits, means, log-scales,
 * coefs], so one symbol's K components are contiguous.
 * The encoder network (float) only chooses z; it sees the tile edge-padded to H x W.
 */

import { adaptScheme } from "./adaptive-stage.js";
import type { LevelCallback } from "./container.js";
import { type EntropyCore, type TileCoder, tsCore } from "./entropy-core.js";
import { L3cError } from "./errors.js";
import { MAX_COMPONENTS } from "./logistic-mixture.js";

export type TensorType = "uint8" | "int32" | "float32";

export interface TensorData {
  type: TensorType;
  data: Uint8Array | Int32Array | Float32Array;
  dims: readonly number[];
}

/** Runs one of the model's graphs by role ("encoder", "dec3", ..., "head3"). */
export interface GraphRunner {
  run(role: string, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
}

/** One pixel stage (see the module doc). */
interface Stage {
  role: string;
  feat: "f1" | "h2" | "h3";
  featName: string;
  step: number;
  oy: number;
  ox: number;
  /** Offsets of the earlier phases whose pixels are the head's planes. */
  ctx: ReadonlyArray<readonly [number, number]>;
}

export interface ModelConfig {
  Cf: number;
  C: number;
  L: number;
  K: number;
  S: number;
  rgb_context: string;
  /** Static per-channel CDFs of z3 (see the module doc); uniform when absent. */
  z3_cdf?: number[][];
  /** The adaptive stage ("adapt-1" ... "adapt-6", adaptive-stage.ts); none when absent. */
  adapt?: string;
  /** "coded" (as when absent) or "none": z1 is not in the stream (see the module doc). */
  z1?: string;
}

/** The values of the config's `z1` (absent: "coded"). */
export const Z1_FORMS = ["coded", "none"] as const;

export const PHASES: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1, 1],
  [0, 1],
  [1, 0],
];

/** The z3 CDF of each channel: the model's tables, validated, or uniform ones. */
function z3Cdfs(cfg: ModelConfig): Int32Array[] {
  if (cfg.z3_cdf === undefined) return Array.from({ length: cfg.C }, () => uniformCdf(cfg.L));
  const t = cfg.z3_cdf;
  const bad = (why: string) => new L3cError("UNKNOWN_MODEL", `z3_cdf: ${why}`);
  if (!Array.isArray(t) || t.length !== cfg.C) throw bad(`expected ${cfg.C} rows`);
  return t.map((row, c) => {
    if (!Array.isArray(row) || row.length !== cfg.L + 1) throw bad(`row ${c}: expected ${cfg.L + 1} entries`);
    if (row[0] !== 0 || row[cfg.L] !== 65536) throw bad(`row ${c}: must run from 0 to 65536`);
    for (let i = 1; i <= cfg.L; i++)
      if (!Number.isInteger(row[i]) || row[i] <= row[i - 1]) throw bad(`row ${c}: not strictly increasing`);
    return Int32Array.from(row);
  });
}

function uniformCdf(n: number): Int32Array {
  const c = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) c[i] = Math.floor((i * 65536) / n);
  return c;
}

const ceil8 = (v: number) => (v + 7) & ~7;

function expectOutput(
  out: Record<string, TensorData>,
  name: string,
  type: TensorType,
  size: number,
): TensorData {
  const t = out[name];
  if (!t || t.type !== type || t.data.length !== size) {
    throw new L3cError("UNKNOWN_MODEL", `graph output ${name} missing or of the wrong shape`);
  }
  return t;
}

export class L3cTileModel {
  readonly id: Uint8Array;
  readonly cfg: ModelConfig;
  private readonly runner: GraphRunner;
  private readonly z3Cdf: Int32Array[];
  private readonly core: EntropyCore;
  /** The adaptive stage: 0 none, 1 adapt-1, 2 adapt-2, 3 adapt-3 (adapt-2 plus the z2 stage). */
  readonly adapt: number;
  /**
   * Encoder policy (decoders never depend on it): code z1 as the mode of its prior
   * instead of the encoder network's choice. z1 then costs almost nothing, and the pixel
   * stages, the adaptive stage most of all, recover more than it carried (SPEC.md
   * Appendix A). On for models with the adaptive stage; earlier models keep their
   * encoder's behaviour (and their vectors).
   */
  readonly z1Mode: boolean;
  /** z1 is coded (config `z1` absent or "coded"); else dec1 sees the middle level. */
  readonly z1Coded: boolean;
  /** Observer of every integer parameter tensor (tests compare CDF inputs across runtimes). */
  onParams?: (what: string, params: Int32Array) => void;

  constructor(id: Uint8Array, cfg: ModelConfig, runner: GraphRunner, core: EntropyCore = tsCore) {
    if ((cfg.rgb_context !== "phase4" && cfg.rgb_context !== "pyramid") || cfg.S !== 3) {
      throw new L3cError("UNKNOWN_MODEL", `architecture ${cfg.rgb_context}/S=${cfg.S} is not supported`);
    }
    if (!(Number.isInteger(cfg.K) && cfg.K >= 1 && cfg.K <= MAX_COMPONENTS)) {
      throw new L3cError("UNKNOWN_MODEL", `K=${cfg.K} outside [1, ${MAX_COMPONENTS}]`);
    }
    if (cfg.z1 !== undefined && !(Z1_FORMS as readonly unknown[]).includes(cfg.z1)) {
      throw new L3cError(
        "UNKNOWN_MODEL",
        `z1 ${JSON.stringify(cfg.z1)} is not one of ${Z1_FORMS.join(", ")}`,
      );
    }
    const scheme = adaptScheme(cfg.adapt);
    if (scheme === undefined || (scheme > 0 && cfg.rgb_context !== "pyramid")) {
      throw new L3cError(
        "UNKNOWN_MODEL",
        `adaptive stage ${String(cfg.adapt)} is not supported for ${cfg.rgb_context}`,
      );
    }
    this.id = id;
    this.cfg = cfg;
    this.runner = runner;
    this.core = core;
    this.adapt = scheme;
    this.z1Mode = scheme > 0;
    this.z1Coded = cfg.z1 !== "none";
    this.z3Cdf = z3Cdfs(cfg);
  }

  /**
   * Run the decoder networks for z2 and z1 (z's known); f1 (`dec1`) runs when first asked
   * for, by the first pixel stage on f1: it codes nothing, so the pyramid's coarse levels
   * (stages on h3 and h2) come before it, which a decoder's previews need (`onLevel`).
   */
  private async decoders(
    z: [Uint8Array, Uint8Array, Uint8Array],
    H: number,
    W: number,
    coder: TileCoder,
  ): Promise<{
    f1: () => Promise<Uint8Array>;
    h2?: Uint8Array;
    h3?: Uint8Array;
    z2: Uint8Array;
    z1: Uint8Array;
  }> {
    const { C, Cf, K, L } = this.cfg;
    /** Code z (encoder: the given symbols; decoder: into a new array) with its params. */
    const codeZ = (level: 1 | 2, given: Uint8Array, p: Int32Array, hw: number) => {
      const sym = given.length ? given : new Uint8Array(C * hw);
      coder.z(level, p, C, K, L, hw, sym);
      return sym;
    };
    const d = (s: number) => [1, C, H >> s, W >> s];
    const o3 = await this.runner.run("dec3", { z3: { type: "uint8", data: z[2], dims: d(3) } });
    const hw2 = (H >> 2) * (W >> 2);
    const f3 = expectOutput(o3, "f3", "uint8", Cf * hw2);
    const z2p = expectOutput(o3, "z2_params", "int32", 3 * C * K * hw2).data as Int32Array;
    this.onParams?.("z2", z2p);
    const z2 = codeZ(2, z[1], z2p, hw2);
    const o2 = await this.runner.run("dec2", {
      z2: { type: "uint8", data: z2, dims: d(2) },
      f3: { type: "uint8", data: f3.data, dims: [1, Cf, H >> 2, W >> 2] },
    });
    const hw1 = (H >> 1) * (W >> 1);
    const f2 = expectOutput(o2, "f2", "uint8", Cf * hw1);
    let z1: Uint8Array;
    if (this.z1Coded) {
      const z1p = expectOutput(o2, "z1_params", "int32", 3 * C * K * hw1).data as Int32Array;
      this.onParams?.("z1", z1p);
      z1 = codeZ(1, z[0].length && this.z1Mode ? this.core.zMode(z1p, C, K, L, hw1) : z[0], z1p, hw1);
    } else {
      z1 = new Uint8Array(C * hw1).fill((L - 1) >> 1);
    }
    let f1Once: Promise<Uint8Array> | undefined;
    const f1 = () =>
      (f1Once ??= this.runner
        .run("dec1", {
          z1: { type: "uint8", data: z1, dims: d(1) },
          f2: { type: "uint8", data: f2.data, dims: [1, Cf, H >> 1, W >> 1] },
        })
        .then((o1) => expectOutput(o1, "f1", "uint8", Cf * hw1).data as Uint8Array));
    if (this.cfg.rgb_context !== "pyramid") return { f1, z2, z1 };
    const h3 = expectOutput(o3, "h3", "uint8", Cf * (H >> 3) * (W >> 3)).data as Uint8Array;
    const h2 = expectOutput(o2, "h2", "uint8", Cf * hw2).data as Uint8Array;
    return { f1, h2, h3, z2, z1 };
  }

  /** Run a pixel head graph on features (gh x gw) and `np` pixel planes. */
  private async head(
    st: Stage,
    feat: Uint8Array,
    pix: Uint8Array,
    gh: number,
    gw: number,
  ): Promise<Int32Array> {
    const { Cf, K } = this.cfg;
    const np = st.ctx.length;
    const feeds: Record<string, TensorData> = {
      [st.featName]: { type: "uint8", data: feat, dims: [1, Cf, gh, gw] },
    };
    if (np > 0)
      feeds.pix = { type: "uint8", data: pix.subarray(0, 3 * np * gh * gw), dims: [1, 3 * np, gh, gw] };
    const out = await this.runner.run(st.role, feeds);
    const params = expectOutput(out, "params", "int32", 12 * K * gh * gw).data as Int32Array;
    this.onParams?.(st.role, params);
    return params;
  }

  /** The pixel stages of this architecture, in coding order. */
  private stages(): Stage[] {
    if (this.cfg.rgb_context === "phase4") {
      return PHASES.map(([dy, dx], p) => ({
        role: `head${p}`,
        feat: "f1" as const,
        featName: "f1",
        step: 2,
        oy: dy,
        ox: dx,
        ctx: PHASES.slice(0, p).map(([y, x]) => [y, x] as const),
      }));
    }
    const out: Stage[] = [{ role: "base", feat: "h3", featName: "f", step: 8, oy: 0, ox: 0, ctx: [] }];
    for (const lv of [3, 2, 1]) {
      const half = 1 << (lv - 1);
      for (let p = 1; p < 4; p++) {
        out.push({
          role: `l${lv}p${p}`,
          feat: lv === 3 ? "h3" : lv === 2 ? "h2" : "f1",
          featName: "f",
          step: 2 * half,
          oy: PHASES[p][0] * half,
          ox: PHASES[p][1] * half,
          ctx: PHASES.slice(0, p).map(([y, x]) => [y * half, x * half] as const),
        });
      }
    }
    return out;
  }

  async encodeTile(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    const H = ceil8(height);
    const W = ceil8(width);
    // Float encoder input, edge-padded.
    const x = new Float32Array(3 * H * W);
    for (let y = 0; y < H; y++) {
      const sy = Math.min(y, height - 1);
      for (let xx = 0; xx < W; xx++) {
        const si = (sy * width + Math.min(xx, width - 1)) * 3;
        for (let c = 0; c < 3; c++) x[c * H * W + y * W + xx] = rgb[si + c];
      }
    }
    const eo = await this.runner.run("encoder", { x: { type: "float32", data: x, dims: [1, 3, H, W] } });
    const { C, L } = this.cfg;
    const z: [Uint8Array, Uint8Array, Uint8Array] = [1, 2, 3].map(
      (s) => expectOutput(eo, `z${s}`, "uint8", C * (H >> s) * (W >> s)).data as Uint8Array,
    ) as [Uint8Array, Uint8Array, Uint8Array];
    for (const zs of z)
      for (let i = 0; i < zs.length; i++) if (zs[i] >= L) throw new L3cError("UNKNOWN_MODEL", "z level");
    const symbols =
      3 * width * height +
      C * ((this.z1Coded ? (H >> 1) * (W >> 1) : 0) + (H >> 2) * (W >> 2) + (H >> 3) * (W >> 3));
    const coder = this.core.encoder({ width, height, adapt: this.adapt, symbols });
    try {
      this.codeZ3(coder, z[2], H, W);
      const feats = await this.decoders(z, H, W, coder);
      await this.pixels(feats, H, W, width, height, rgb, coder);
      return coder.finish();
    } finally {
      coder.dispose();
    }
  }

  private codeZ3(coder: TileCoder, z3: Uint8Array, H: number, W: number): void {
    const hw3 = (H >> 3) * (W >> 3);
    for (let c = 0; c < this.cfg.C; c++) coder.table(this.z3Cdf[c], z3.subarray(c * hw3, (c + 1) * hw3));
  }

  /**
   * Walk the pixel stages: build each head's planes from the pixels coded so far (128
   * outside the tile), run the head, and let the coder code the stage over `rgb`.
   */
  private async pixels(
    feats: { f1: () => Promise<Uint8Array>; h2?: Uint8Array; h3?: Uint8Array },
    H: number,
    W: number,
    width: number,
    height: number,
    rgb: Uint8Array,
    coder: TileCoder,
    onLevel?: LevelCallback,
  ): Promise<void> {
    const K = this.cfg.K;
    let pix = new Uint8Array(0);
    const stages = this.stages();
    for (let s = 0; s < stages.length; s++) {
      const st = stages[s];
      const gh = H / st.step;
      const gw = W / st.step;
      const hw = gh * gw;
      const np = st.ctx.length;
      if (pix.length < 3 * np * hw) pix = new Uint8Array(3 * np * hw);
      for (let q = 0; q < np; q++) {
        const [qy, qx] = st.ctx[q];
        for (let c = 0; c < 3; c++) {
          const dst = (3 * q + c) * hw;
          for (let y = 0; y < gh; y++) {
            const yy = y * st.step + qy;
            for (let x = 0; x < gw; x++) {
              const xx = x * st.step + qx;
              pix[dst + y * gw + x] = yy < height && xx < width ? rgb[(yy * width + xx) * 3 + c] : 128;
            }
          }
        }
      }
      const feat = st.feat === "f1" ? await feats.f1() : feats[st.feat];
      if (!feat) throw new L3cError("UNKNOWN_MODEL", `graph features ${st.feat} missing`);
      const params = await this.head(st, feat, pix, gh, gw);
      coder.stage({ index: s, step: st.step, oy: st.oy, ox: st.ox }, params, K, rgb);
      // The next stage's only plane is phase 0 of its grid: every pixel at multiples of
      // its step is now known (pyramid: 8 after base, 4 after l3p3, 2 after l2p3).
      const next = stages[s + 1];
      if (onLevel && next?.ctx.length === 1) await onLevel(next.step, rgb);
    }
  }

  async decodeTile(
    data: Uint8Array,
    width: number,
    height: number,
    onLevel?: LevelCallback,
  ): Promise<Uint8Array> {
    const H = ceil8(height);
    const W = ceil8(width);
    const { C } = this.cfg;
    const coder = this.core.decoder(data, { width, height, adapt: this.adapt });
    try {
      const z3 = new Uint8Array(C * (H >> 3) * (W >> 3));
      this.codeZ3(coder, z3, H, W);
      const empty = new Uint8Array(0);
      const feats = await this.decoders([empty, empty, z3], H, W, coder);
      const rgb = new Uint8Array(width * height * 3);
      await this.pixels(feats, H, W, width, height, rgb, coder, onLevel);
      return rgb;
    } finally {
      coder.dispose();
    }
  }
}
