/**
 * @module test-utils
 * Deterministic helpers for tests and benchmarks (no runtime dependencies).
 */

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random valid CDF over n symbols with 16-bit precision; `skew` > 1 concentrates
 * the mass on few symbols, as real models do.
 */
export function randomCdf(rnd: () => number, n: number, skew = 1): Int32Array {
  const w = Array.from({ length: n }, () => rnd() ** skew);
  const total = w.reduce((a, b) => a + b, 0);
  const spare = 65536 - n;
  const cdf = new Int32Array(n + 1);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += w[i];
    cdf[i + 1] = Math.min(spare, Math.floor((acc / total) * spare)) + i + 1;
  }
  cdf[n] = 65536;
  return cdf;
}
