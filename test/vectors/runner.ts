/**
 * Conformance runner: checks every case in test/vectors/ against an implementation.
 *
 *   tsx test/vectors/runner.ts                      # the TypeScript implementation
 *   tsx test/vectors/runner.ts --decoder "CMD"      # any decoder: CMD {in} {out} writes raw
 *                                                   # pixels to {out}, or exits non-zero and
 *                                                   # prints the error code on stderr
 * Range-coder and mixture-CDF cases need the library (or a port of this runner).
 */
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage } from "../../shared/container.js";
import { type EntropyCore, tsCore } from "../../shared/entropy-core.js";
import { L3cError } from "../../shared/errors.js";
import { coefShift, coefShift2 } from "../../shared/logistic-mixture.js";

export const VECTORS_DIR = new URL(".", import.meta.url).pathname;

export interface CaseResult {
  name: string;
  ok: boolean;
  message: string;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

type Decoder = (input: Uint8Array, modelsDir?: string) => Promise<{ pixels: Uint8Array } | { error: string }>;

const ROOT = new URL("../../", import.meta.url).pathname;

/** The library with one entropy core ("ts": the TypeScript reference; "wasm", "wasm-simd"). */
export const libraryDecoder =
  (core: "ts" | "wasm" | "wasm-simd" = "ts"): Decoder =>
  async (input, modelsDir) => {
    try {
      if (modelsDir) {
        const { Codec } = await import("../../node-codec/src/codec.js");
        const codec = await Codec.create({ modelsDir: ROOT + modelsDir, threads: 1, core });
        try {
          return { pixels: (await codec.decode(input)).data };
        } finally {
          await codec.close();
        }
      }
      return { pixels: (await decodeImage(input)).data };
    } catch (e) {
      if (e instanceof L3cError) return { error: e.code };
      throw e;
    }
  };

export function commandDecoder(cmd: string): Decoder {
  return async (input) => {
    const dir = tmpdir();
    const inPath = join(dir, `l3c-vec-${process.pid}.l3c`);
    const outPath = join(dir, `l3c-vec-${process.pid}.raw`);
    (await import("node:fs")).writeFileSync(inPath, input);
    try {
      execSync(cmd.replace("{in}", inPath).replace("{out}", outPath), {
        stdio: ["ignore", "ignore", "pipe"],
      });
      return { pixels: new Uint8Array(readFileSync(outPath)) };
    } catch (e) {
      const err = String((e as { stderr?: Buffer }).stderr ?? "");
      return { error: err.match(/[A-Z_]{4,}/)?.[0] ?? "UNKNOWN" };
    }
  };
}

export async function runCase(
  dir: string,
  decoder: Decoder,
  core: EntropyCore = tsCore,
): Promise<CaseResult> {
  const name = dir.split("/").pop() ?? dir;
  const meta = JSON.parse(readFileSync(join(dir, "case.json"), "utf8"));
  const read = (f: string) => {
    const b = new Uint8Array(readFileSync(join(dir, f)));
    if (meta.sha256?.[f] && sha256(b) !== meta.sha256[f])
      throw new Error(`${f}: sha256 differs from case.json`);
    return b;
  };
  const fail = (message: string) => ({ name, ok: false, message });
  if (meta.kind === "decode") {
    const r = await decoder(read(meta.input), meta.models);
    if (meta.expect.error) {
      if ("error" in r && r.error === meta.expect.error) return { name, ok: true, message: r.error };
      return fail(`expected error ${meta.expect.error}, got ${"error" in r ? r.error : "pixels"}`);
    }
    if ("error" in r) return fail(`unexpected error ${r.error}`);
    const ref = read(meta.expect.reference);
    if (r.pixels.length !== ref.length || sha256(r.pixels) !== sha256(ref)) return fail("pixels differ");
    return { name, ok: true, message: `${meta.expect.width}x${meta.expect.height}x${meta.expect.channels}` };
  }
  if (meta.kind === "range-coder") {
    const bytes = read(meta.input);
    const cdfs = (meta.cdfs as number[][]).map((c) => Int32Array.from(c));
    const symbols = meta.symbols as Array<[number, number]>;
    const opts = { width: 1, height: 1, adapt: 0 };
    const dec = core.decoder(bytes, opts);
    const enc = core.encoder({ ...opts, symbols: symbols.length });
    try {
      const one = new Uint8Array(1);
      for (const [c, s] of symbols) {
        dec.table(cdfs[c], one);
        if (one[0] !== s) return fail(`decoded ${one[0]}, expected ${s}`);
        one[0] = s;
        enc.table(cdfs[c], one);
      }
      if (sha256(enc.finish()) !== sha256(bytes)) return fail("re-encoding gives different bytes");
    } finally {
      dec.dispose();
      enc.dispose();
    }
    return { name, ok: true, message: `${meta.symbols.length} symbols` };
  }
  if (meta.kind === "mixture-cdf") {
    for (const [i, c] of (meta.cases as Array<Record<string, never>>).entries()) {
      const ints = (a?: number[]) => (a ? Int32Array.from(a) : undefined);
      const t = Array.from(
        core.mixtureTable(c.n, c.k, ints(c.logits)!, ints(c.means)!, ints(c.logScales)!, ints(c.shifts)),
      );
      if (t.join(",") !== (c.cdf as number[]).join(",")) return fail(`case ${i}: cdf differs`);
    }
    for (const c of meta.coefShifts as Array<Record<string, number>>) {
      if (coefShift(c.alpha, c.xR) !== c.shiftG || coefShift2(c.beta, c.xR, c.gamma, c.xG) !== c.shiftB) {
        return fail(`coefficient shift differs for ${JSON.stringify(c)}`);
      }
    }
    return {
      name,
      ok: true,
      message: `${meta.cases.length} cdfs, ${meta.coefShifts.length} coefficient shifts`,
    };
  }
  return fail(`unknown kind ${meta.kind}`);
}

export async function runAll(
  decoder: Decoder = libraryDecoder(),
  core: EntropyCore = tsCore,
): Promise<CaseResult[]> {
  const dirs = readdirSync(VECTORS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(VECTORS_DIR, d.name, "case.json")))
    .map((d) => join(VECTORS_DIR, d.name))
    .sort();
  const out: CaseResult[] = [];
  for (const d of dirs) out.push(await runCase(d, decoder, core));
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const i = process.argv.indexOf("--decoder");
  const results = await runAll(i > 0 ? commandDecoder(process.argv[i + 1]) : libraryDecoder());
  for (const r of results) console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name.padEnd(24)} ${r.message}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed}/${results.length} passed`);
  process.exit(failed ? 1 : 0);
}
