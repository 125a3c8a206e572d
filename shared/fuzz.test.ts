/**
 * Hostile input: mutated, truncated and oversized streams. Every failure must be an
 * L3cError with its fixed message: never another exception type, a hang or a huge
 * allocation (limits are checked before any allocation).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { LeftModel, syntheticImage } from "../test/helpers/left-model.js";
import { decodeImage, encodeImage } from "./container.js";
import { ERROR_MESSAGES, L3cError } from "./errors.js";
import { toHex } from "./format.js";

const model = new LeftModel();
const models = (id: string) => (id === toHex(model.id) ? model : undefined);
const limits = { maxPixels: 1 << 20, maxTiles: 1024, maxStreamBytes: 1 << 20 };
const RUNS = Number(process.env.L3C_FUZZ_RUNS ?? 10_000);

let seeds: Uint8Array[] = [];

beforeAll(async () => {
  seeds = [
    (await encodeImage(syntheticImage(40, 30), { model, tileSize: 64 })).bytes,
    (await encodeImage(syntheticImage(70, 66, 1), { model, tileSize: 64 })).bytes,
    (await encodeImage(syntheticImage(20, 9, 4), { tileSize: 64 })).bytes,
  ];
});

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "u32"; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
  }),
  // Oversized fields: overwrite a header word with a large or boundary value.
  fc.record({
    kind: fc.constant("u32" as const),
    at: fc.integer({ min: 0, max: 80 }),
    value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0x10000, 0x7fffffff, 0xffffffff), fc.nat()),
  }),
);

function apply(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of muts) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === "flip" && b.length) b[at] ^= 1 << m.bit;
    else if (m.kind === "set" && b.length) b[at] = m.value;
    else if (m.kind === "truncate") b = b.subarray(0, at);
    else if (m.kind === "insert") {
      const n = new Uint8Array(b.length + m.bytes.length);
      n.set(b.subarray(0, at));
      n.set(m.bytes, at);
      n.set(b.subarray(at), at + m.bytes.length);
      b = n;
    } else if (m.kind === "u32" && m.at + 4 <= b.length) {
      new DataView(b.buffer, b.byteOffset).setUint32(m.at, m.value >>> 0, true);
    }
  }
  return b;
}

describe("fuzz: parser and decoder", () => {
  it(`${RUNS} mutated, truncated and oversized streams fail only with typed errors`, async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (s, muts) => {
          const bytes = apply(seeds[s], muts);
          try {
            const out = await decodeImage(bytes, { models, limits });
            // Accepted streams must still be fully consistent (checksums passed).
            expect(out.data.length).toBe(out.width * out.height * out.channels);
          } catch (e) {
            rejected++;
            if (!(e instanceof L3cError)) throw e;
            expect(e.message).toBe(ERROR_MESSAGES[e.code]);
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(rejected).toBeGreaterThan(RUNS * 0.9);
  }, 300_000);
});
