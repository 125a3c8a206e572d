/**
 * @module wasm-core
 * The {@link EntropyCore} backed by the WebAssembly build of l3c-core.c: the same bytes
 * as the TypeScript reference (entropy-core.ts), several times faster. The compiled
 * module is injected (Node reads shared/wasm/build/*.wasm, a browser fetches it), so this
 * file imports no runtime. Each tile coder owns one instance (its own linear memory),
 * taken from a small pool, so tiles coded concurrently on one thread never share memory.
 */

import {
  type EntropyCore,
  type StageGeometry,
  type TileCoder,
  type TileCoderOptions,
  zGrid,
} from "../entropy-core.js";
import { L3cError } from "../errors.js";

interface Exports {
  memory: WebAssembly.Memory;
  l3c_mark(): number;
  l3c_alloc(n: number): number;
  l3c_release(mark: number): void;
  l3c_encoder_new(buf: number, cap: number): number;
  l3c_encoder_finish(e: number): number;
  l3c_coder_error(c: number): number;
  l3c_decoder_new(data: number, len: number): number;
  l3c_encode_table(e: number, cdf: number, sym: number, count: number, n: number): void;
  l3c_decode_table(d: number, cdf: number, sym: number, count: number, n: number): void;
  l3c_code_z(
    decode: number,
    c: number,
    p: number,
    C: number,
    K: number,
    L: number,
    hw: number,
    sym: number,
  ): void;
  l3c_code_z2a(
    decode: number,
    c: number,
    p: number,
    C: number,
    K: number,
    L: number,
    h: number,
    w: number,
    sym: number,
    scratch: number,
  ): void;
  l3c_tile_new(w: number, h: number, adapt: number): number;
  l3c_z_mode(p: number, C: number, K: number, L: number, hw: number, out: number): void;
  l3c_mix_table(n: number, K: number, params: number, shifts: number, out: number): void;
  l3c_code_stage(
    decode: number,
    c: number,
    tile: number,
    stage: number,
    params: number,
    K: number,
    step: number,
    oy: number,
    ox: number,
    rgb: number,
  ): void;
}

const ERRORS: Record<
  number,
  [code: "TRUNCATED" | "CORRUPT_RANGE_CODE" | "INVALID_ARGUMENT" | "INTERNAL", detail: string]
> = {
  1: ["TRUNCATED", "range-coded data ended early"],
  2: ["CORRUPT_RANGE_CODE", "decoder state left the coding interval"],
  3: ["INTERNAL", "encoder output buffer full"],
  4: ["INVALID_ARGUMENT", "symbol outside the alphabet"],
};

class WasmTileCoder implements TileCoder {
  private readonly mark: number;
  private readonly coder: number;
  private readonly tile: number;
  private readonly rgb: number;
  private readonly rgbBytes: number;
  private readonly out: number;
  private readonly opts: TileCoderOptions;
  private disposed = false;

  constructor(
    private readonly x: Exports,
    private readonly release: () => void,
    opts: TileCoderOptions,
    private readonly decode: boolean,
    data: Uint8Array | undefined,
    capacity: number,
  ) {
    this.mark = x.l3c_mark();
    this.opts = opts;
    this.rgbBytes = opts.width * opts.height * 3;
    this.rgb = this.alloc(this.rgbBytes);
    this.out = 0;
    if (data) {
      const at = this.alloc(data.length);
      this.bytes(at, data.length).set(data);
      this.coder = x.l3c_decoder_new(at, data.length);
    } else {
      this.out = this.alloc(capacity);
      this.coder = x.l3c_encoder_new(this.out, capacity);
    }
    this.tile = x.l3c_tile_new(opts.width, opts.height, opts.adapt);
    if (!this.coder || !this.tile) throw this.fail(new L3cError("INTERNAL", "l3c-core: out of memory"));
    this.check();
  }

  private alloc(n: number): number {
    const p = this.x.l3c_alloc(n);
    if (!p) throw this.fail(new L3cError("INTERNAL", `l3c-core: cannot allocate ${n} bytes`));
    return p;
  }

  private bytes(at: number, n: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, at, n);
  }

  private fail(e: Error): Error {
    this.dispose();
    return e;
  }

  private check(): void {
    const err = this.x.l3c_coder_error(this.coder);
    if (err) {
      const [code, detail] = ERRORS[err] ?? ["INVALID_ARGUMENT", `l3c-core error ${err}`];
      throw this.fail(new L3cError(code, detail));
    }
  }

  /** Copies `src` into wasm memory allocated after the mark of the current call. */
  private put(src: Int32Array | Uint8Array): number {
    const at = this.alloc(src.byteLength);
    this.bytes(at, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return at;
  }

  /** Runs f with scratch allocations released afterwards. */
  private scratch<T>(f: () => T): T {
    const m = this.x.l3c_mark();
    try {
      return f();
    } finally {
      this.x.l3c_release(m);
    }
  }

  table(cdf: Int32Array, sym: Uint8Array): void {
    this.scratch(() => {
      const c = this.put(cdf);
      const s = this.put(sym);
      const n = cdf.length - 1;
      if (this.decode) this.x.l3c_decode_table(this.coder, c, s, sym.length, n);
      else this.x.l3c_encode_table(this.coder, c, s, sym.length, n);
      this.check();
      if (this.decode) sym.set(this.bytes(s, sym.length));
    });
  }

  z(level: 1 | 2, params: Int32Array, C: number, K: number, L: number, hw: number, sym: Uint8Array): void {
    const [zh, zw] = zGrid(this.opts, level, hw);
    this.scratch(() => {
      const p = this.put(params);
      const s = this.put(sym);
      const d = this.decode ? 1 : 0;
      if (level === 2 && this.opts.adapt >= 3)
        this.x.l3c_code_z2a(d, this.coder, p, C, K, L, zh, zw, s, this.alloc(16 * C * hw));
      else this.x.l3c_code_z(d, this.coder, p, C, K, L, hw, s);
      this.check();
      if (this.decode) sym.set(this.bytes(s, sym.length));
    });
  }

  stage(geo: StageGeometry, params: Int32Array, K: number, rgb: Uint8Array): void {
    this.scratch(() => {
      const p = this.put(params);
      if (!this.decode) this.bytes(this.rgb, this.rgbBytes).set(rgb.subarray(0, this.rgbBytes));
      this.x.l3c_code_stage(
        this.decode ? 1 : 0,
        this.coder,
        this.tile,
        geo.index,
        p,
        K,
        geo.step,
        geo.oy,
        geo.ox,
        this.rgb,
      );
      this.check();
      if (this.decode) rgb.set(this.bytes(this.rgb, this.rgbBytes));
    });
  }

  finish(): Uint8Array {
    if (this.decode) return new Uint8Array(0);
    const n = this.x.l3c_encoder_finish(this.coder);
    this.check();
    return this.bytes(this.out, n).slice();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.x.l3c_release(this.mark);
    this.release();
  }
}

/**
 * An EntropyCore over a compiled l3c-core module (l3c-core.wasm or l3c-core-simd.wasm).
 * Instances are created on demand and reused; `name` says which build.
 */
export function wasmCore(module: WebAssembly.Module, name = "wasm"): EntropyCore {
  const free: Exports[] = [];
  const take = (): [Exports, () => void] => {
    const x = free.pop() ?? (new WebAssembly.Instance(module, {}).exports as unknown as Exports);
    return [x, () => free.push(x)];
  };
  /** Runs f on an instance with scratch memory released afterwards. */
  const withScratch = <T>(
    f: (x: Exports, put: (a: Int32Array | Uint8Array) => number, alloc: (n: number) => number) => T,
  ): T => {
    const [x, release] = take();
    const mark = x.l3c_mark();
    const alloc = (n: number) => {
      const p = x.l3c_alloc(n);
      if (!p) throw new L3cError("INTERNAL", "l3c-core: out of memory");
      return p;
    };
    const put = (a: Int32Array | Uint8Array) => {
      const p = alloc(a.byteLength);
      new Uint8Array(x.memory.buffer, p, a.byteLength).set(
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      );
      return p;
    };
    try {
      return f(x, put, alloc);
    } finally {
      x.l3c_release(mark);
      release();
    }
  };
  return {
    name,
    zMode: (params, C, K, L, hw) =>
      withScratch((x, put, alloc) => {
        const p = put(params);
        const o = alloc(C * hw);
        x.l3c_z_mode(p, C, K, L, hw, o);
        return new Uint8Array(x.memory.buffer, o, C * hw).slice();
      }),
    mixtureTable: (n, K, logits, means, logScales, shifts) =>
      withScratch((x, put, alloc) => {
        const p = new Int32Array(3 * K);
        p.set(logits.subarray(0, K));
        p.set(means.subarray(0, K), K);
        p.set(logScales.subarray(0, K), 2 * K);
        const at = put(p);
        const sh = shifts ? put(Int32Array.from(shifts.subarray(0, K))) : 0;
        const o = alloc(4 * (n + 1));
        x.l3c_mix_table(n, K, at, sh, o);
        return new Int32Array(x.memory.buffer, o, n + 1).slice();
      }),
    encoder(opts: TileCoderOptions & { symbols: number }) {
      const [x, release] = take();
      return new WasmTileCoder(x, release, opts, false, undefined, 3 * opts.symbols + 64);
    },
    decoder(data: Uint8Array, opts: TileCoderOptions) {
      const [x, release] = take();
      return new WasmTileCoder(x, release, opts, true, data, 0);
    },
  };
}
