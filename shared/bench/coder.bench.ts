/**
 * Range coder and integer mixture CDF throughput (one core, this process).
 *   npm run bench:coder [-- --symbols 2000000]
 * Every configuration is round-tripped and checked before it is timed.
 */

import { mulberry32, randomCdf } from "../../test/helpers/random.js";
import { MixtureCdf } from "../logistic-mixture.js";
import { RangeDecoder, RangeEncoder } from "../range-coder.js";

const argIdx = process.argv.indexOf("--symbols");
const N = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 2_000_000;

function time(fn: () => void, reps = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1000;
}

function tableCase(n: number, skew: number) {
  const rnd = mulberry32(n * 31 + skew);
  const cdfs = Array.from({ length: 64 }, () => randomCdf(rnd, n, skew));
  const syms = new Int32Array(N);
  const which = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    which[i] = i & 63;
    const cdf = cdfs[which[i]];
    const u = Math.floor(rnd() * 65536);
    let lo = 0;
    let hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] <= u) lo = mid;
      else hi = mid;
    }
    syms[i] = lo;
  }
  let bytes: Uint8Array = new Uint8Array(0);
  const encode = () => {
    const enc = new RangeEncoder(N);
    for (let i = 0; i < N; i++) enc.encodeSymbol(cdfs[which[i]], syms[i]);
    bytes = enc.finish();
  };
  const out = new Int32Array(N);
  const decode = () => {
    const dec = new RangeDecoder(bytes);
    for (let i = 0; i < N; i++) out[i] = dec.decodeSymbol(cdfs[which[i]]);
  };
  encode();
  decode();
  for (let i = 0; i < N; i++) if (out[i] !== syms[i]) throw new Error(`round trip failed at ${i}`);
  let ideal = 0;
  for (let i = 0; i < N; i++) {
    const c = cdfs[which[i]];
    ideal -= Math.log2((c[syms[i] + 1] - c[syms[i]]) / 65536);
  }
  return {
    name: `table n=${n}`,
    enc: N / time(encode),
    dec: N / time(decode),
    overhead: (bytes.length * 8) / ideal - 1,
    n: N,
  };
}

function mixtureCase(k: number) {
  const M = Math.floor(N / 10);
  const rnd = mulberry32(k);
  const P = 4096;
  const logits = new Int32Array(P * k).map(() => Math.round((rnd() * 6 - 3) * 128));
  const means = new Int32Array(P * k).map(() => Math.round((40 + rnd() * 170) * 256));
  const ls = new Int32Array(P * k).map(() => Math.round((rnd() * 3 - 0.5) * 128));
  const mix = new MixtureCdf(k);
  const syms = new Int32Array(M).map((_, i) =>
    Math.min(255, Math.max(0, (means[(i % P) * k] >> 8) + ((i * 7) % 9) - 4)),
  );
  let bytes: Uint8Array = new Uint8Array(0);
  const encode = () => {
    const enc = new RangeEncoder(M);
    for (let i = 0; i < M; i++)
      mix.prepare(256, k, { logits, means, logScales: ls, offset: (i % P) * k }).encode(enc, syms[i]);
    bytes = enc.finish();
  };
  const out = new Int32Array(M);
  const decode = () => {
    const dec = new RangeDecoder(bytes);
    for (let i = 0; i < M; i++)
      out[i] = mix.prepare(256, k, { logits, means, logScales: ls, offset: (i % P) * k }).decode(dec);
  };
  encode();
  decode();
  for (let i = 0; i < M; i++) if (out[i] !== syms[i]) throw new Error(`mixture round trip failed at ${i}`);
  const build = () => {
    for (let i = 0; i < M / 64; i++)
      mix.prepare(256, k, { logits, means, logScales: ls, offset: (i % P) * k }).table();
  };
  return {
    name: `mixture K=${k} n=256`,
    enc: M / time(encode),
    dec: M / time(decode),
    tables: M / 64 / time(build),
    n: M,
  };
}

const fmt = (v: number) => `${(v / 1e6).toFixed(2)} M/s`;
console.log(`\nRange coder, ${N.toLocaleString()} symbols per run (best of 3), node ${process.version}\n`);
console.log("| case | encode | decode | size over ideal |");
console.log("|---|---|---|---|");
for (const [n, skew] of [
  [256, 3],
  [25, 3],
  [2, 1],
]) {
  const r = tableCase(n, skew);
  console.log(`| ${r.name} | ${fmt(r.enc)} | ${fmt(r.dec)} | ${(r.overhead * 100).toFixed(3)}% |`);
}
console.log("\nInteger logistic-mixture CDF (prepare + code one symbol; full 257-entry tables)\n");
console.log("| case | encode symbols | decode symbols | full CDF tables |");
console.log("|---|---|---|---|");
for (const k of [1, 5, 10]) {
  const r = mixtureCase(k);
  console.log(`| ${r.name} | ${fmt(r.enc)} | ${fmt(r.dec)} | ${(r.tables / 1e3).toFixed(1)} k/s |`);
}
