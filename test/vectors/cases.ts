/**
 * The conformance corpus: how each case in test/vectors/<case>/ is made. Golden files
 * are written by `npm run vectors -- --regenerate` only; tests check that the committed
 * files still decode as case.json says and that regenerating would not change them.
 */
import { encodeImage } from "../../shared/container.js";
import { crc32 } from "../../shared/crc32.js";
import { Layout, NO_MODEL, writeStream } from "../../shared/format.js";
import { coefShift, coefShift2, MixtureCdf } from "../../shared/logistic-mixture.js";
import { RangeEncoder } from "../../shared/range-coder.js";
import { syntheticImage } from "../helpers/left-model.js";
import { mulberry32, randomCdf } from "../helpers/random.js";

export interface CaseFiles {
  /** case.json contents (without the files' hashes, which the writer adds). */
  meta: Record<string, unknown>;
  files: Record<string, Uint8Array>;
}

async function storedCase(
  description: string,
  w: number,
  h: number,
  channels: 1 | 3 | 4,
  tileSize: number,
): Promise<CaseFiles> {
  const img = syntheticImage(w, h, channels, w * 7 + h);
  const { bytes } = await encodeImage(img, { tileSize });
  return {
    meta: {
      kind: "decode",
      description,
      input: "stream.l3c",
      expect: { width: w, height: h, channels, reference: "reference.raw" },
    },
    files: { "stream.l3c": bytes, "reference.raw": img.data },
  };
}

async function errorCase(
  description: string,
  code: string,
  mutate: (b: Uint8Array) => Uint8Array,
): Promise<CaseFiles> {
  const img = syntheticImage(70, 40, 3, 5);
  const { bytes } = await encodeImage(img, { tileSize: 64 });
  return {
    meta: { kind: "decode", description, input: "stream.l3c", expect: { error: code } },
    files: { "stream.l3c": mutate(bytes.slice()) },
  };
}

function rangeCoderCase(): CaseFiles {
  const rnd = mulberry32(2024);
  const cdfs = [randomCdf(rnd, 2), randomCdf(rnd, 25, 3), randomCdf(rnd, 256, 3)];
  const symbols: Array<[number, number]> = [];
  const enc = new RangeEncoder();
  for (let i = 0; i < 3000; i++) {
    const c = i % 3;
    const s = Math.floor(rnd() ** 2 * (cdfs[c].length - 1));
    symbols.push([c, s]);
    enc.encodeSymbol(cdfs[c], s);
  }
  return {
    meta: {
      kind: "range-coder",
      description: "3000 symbols under three fixed 16-bit CDFs (n = 2, 25, 256); [cdf index, symbol] pairs",
      input: "stream.bin",
      cdfs: cdfs.map((c) => Array.from(c)),
      symbols,
    },
    files: { "stream.bin": enc.finish().slice() },
  };
}

function mixtureCase(): CaseFiles {
  const rnd = mulberry32(7);
  const mix = new MixtureCdf();
  const cases = [];
  for (let i = 0; i < 24; i++) {
    const n = [2, 25, 256][i % 3];
    const k = [1, 3, 10][Math.floor(i / 3) % 3];
    const logits = Array.from({ length: k }, () => Math.round((rnd() * 8 - 4) * 128));
    const means = Array.from({ length: k }, () => Math.round((rnd() * (n + 20) - 10) * 256));
    const logScales = Array.from({ length: k }, () => Math.round((rnd() * 10 - 4.5) * 128));
    if (i === 21) logScales.fill(-99999); // clamping
    if (i === 22) means.fill(1 << 30);
    // Optional per-component Q8 mean shifts (the RGB coefficient path), added before clamping.
    const shifts = i % 4 === 0 ? Array.from({ length: k }, () => Math.round((rnd() * 2 - 1) * 40000)) : null;
    mix.prepare(n, k, { logits, means, logScales, shifts: shifts ?? undefined });
    cases.push({ n, k, logits, means, logScales, shifts, cdf: Array.from(mix.table()) });
  }
  const coefShifts = [];
  for (let i = 0; i < 32; i++) {
    const a = Math.round((rnd() * 2.2 - 1.1) * 4096);
    const b = Math.round((rnd() * 2.2 - 1.1) * 4096);
    const xR = Math.floor(rnd() * 256);
    const xG = Math.floor(rnd() * 256);
    coefShifts.push({
      alpha: a,
      xR,
      shiftG: coefShift(a, xR),
      beta: b,
      gamma: a,
      xG,
      shiftB: coefShift2(b, xR, a, xG),
    });
  }
  return {
    meta: {
      kind: "mixture-cdf",
      description:
        "integer logistic-mixture CDFs (shared/logistic-mixture.ts) for given integer parameters " +
        "(shifts: Q8 added to each mean before clamping), and coefficient mean shifts for G and B",
      cases,
      coefShifts,
    },
    files: {},
  };
}

const set = (at: number, v: number) => (b: Uint8Array) => {
  b[at] = v;
  return b;
};
const flip = (at: number, mask: number) => (b: Uint8Array) => {
  b[at] ^= mask;
  return b;
};

const FIXTURE_MODELS = "test/fixtures/models";

/** Streams coded by the tiny fixture model (model-level conformance). */
async function modelCase(
  description: string,
  w: number,
  h: number,
  channels: 1 | 3 | 4,
  tileSize: number,
  modelsDir = FIXTURE_MODELS,
  model?: string,
) {
  const { Codec } = await import("../../node-codec/src/codec.js");
  const root = new URL("../../", import.meta.url).pathname;
  const codec = await Codec.create({ modelsDir: root + modelsDir, threads: 1 });
  try {
    const img = syntheticImage(w, h, channels, w * 3 + h * 5);
    // every tile coded: the untrained fixture model would otherwise store them raw
    const { bytes, codedTiles } = await codec.encode(img, { tileSize, storedFallback: false, model });
    if (codedTiles === 0) throw new Error(`${description}: no coded tile`);
    return {
      meta: {
        kind: "decode",
        description,
        input: "stream.l3c",
        models: modelsDir,
        expect: { width: w, height: h, channels, reference: "reference.raw" },
      },
      files: { "stream.l3c": bytes, "reference.raw": img.data },
    };
  } finally {
    await codec.close();
  }
}

export async function buildCases(): Promise<Record<string, CaseFiles>> {
  return {
    "model-tiny-rgb": await modelCase(
      "tiny fixture model, RGB 100x70, tile 64 (z1..z3, 4 phases, partial tiles)",
      100,
      70,
      3,
      64,
    ),
    "model-tiny-gray": await modelCase("tiny fixture model, GRAY8 37x21", 37, 21, 1, 64),
    "model-tiny-adapt-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-1 and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt",
    ),
    "model-tiny-adapt2-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-2 (adapt-1 + contraction) and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt2",
    ),
    "model-tiny-adapt3-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-3 (adapt-2 + the z2 stage) and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt3",
    ),
    "model-tiny-adapt4-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-4 (adapt-3 + secondary estimation on the pixel stages) and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt4",
    ),
    "model-tiny-adapt5-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-5 (adapt-4 reading the adapted residuals, and a third table for G and B) and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt5",
    ),
    "model-tiny-adapt6-rgb": await modelCase(
      "tiny fixture model with the adaptive stage adapt-6 (adapt-5 with its pixel stages' constants retuned) and the z1-mode encoder, RGB 150x70, tile 64",
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-adapt6",
    ),
    "model-tiny-z1none-rgb": await modelCase(
      'tiny fixture model without z1 (config z1 "none": no z1 symbols, dec1 sees the middle level) and with adapt-6, RGB 150x70, tile 64',
      150,
      70,
      3,
      64,
      FIXTURE_MODELS,
      "tiny-z1none",
    ),
    "model-l3c-pyramid-v9-rgb": await modelCase(
      "the default model l3c-pyramid-v9 (v8's networks + the adaptive stage adapt-6: adapt-5 retuned), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v9",
    ),
    "model-l3c-fast-v2-rgb": await modelCase(
      "the fast model l3c-fast-v2 (Cf 32, B 1, head width 16, K 3 networks without z1 + the adaptive stage adapt-6), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-fast-v2",
    ),
    "model-l3c-fast-v1-rgb": await modelCase(
      "the fast model l3c-fast-v1 (Cf 32, B 2, K 5 networks cut from v8's and trained on + the adaptive stage adapt-6), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-fast-v1",
    ),
    "model-l3c-pyramid-v8-rgb": await modelCase(
      "the shipped model l3c-pyramid-v8 (v5's networks trained on, cosine QAT + the adaptive stage adapt-5), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v8",
    ),
    "model-l3c-pyramid-v7-rgb": await modelCase(
      "the shipped model l3c-pyramid-v7 (v5's networks + the adaptive stage adapt-5: adapt-4 reading the adapted residuals, and a third table for G and B), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v7",
    ),
    "model-l3c-pyramid-v6-rgb": await modelCase(
      "the shipped model l3c-pyramid-v6 (v5's networks + the adaptive stage adapt-4: adapt-3 and secondary estimation), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v6",
    ),
    "model-l3c-pyramid-v5-rgb": await modelCase(
      "the shipped model l3c-pyramid-v5 (v4's fine-tune finished, cosine QAT + the adaptive stage adapt-3: adapt-2 and the z2 stage), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v5",
    ),
    "model-l3c-pyramid-v4-rgb": await modelCase(
      "the shipped model l3c-pyramid-v4 (graphs fine-tuned for z1 at its mode + the adaptive stage adapt-2), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v4",
    ),
    "model-l3c-pyramid-v3-rgb": await modelCase(
      "the shipped model l3c-pyramid-v3 (v2's graphs + the adaptive stage adapt-1), RGB 150x100, tile 64",
      150,
      100,
      3,
      64,
      "models",
      "l3c-pyramid-v3",
    ),
    // The shipped models: their streams must decode to these pixels in every release.
    "model-l3c-pyramid-v2-rgb": await modelCase(
      "the shipped model l3c-pyramid-v2 (v1's graphs + static z3 tables), RGB 90x60, tile 64",
      90,
      60,
      3,
      64,
      "models",
      "l3c-pyramid-v2",
    ),
    "model-l3c-pyramid-v1-rgb": await modelCase(
      "the shipped model l3c-pyramid-v1, RGB 90x60, tile 64 (partial tiles)",
      90,
      60,
      3,
      64,
      "models",
      "l3c-pyramid-v1",
    ),
    "stored-rgb-1x1": await storedCase("smallest image: one RGB pixel, one stored tile", 1, 1, 3, 64),
    "stored-rgb-tiles": await storedCase(
      "RGB 150x70, tile 64: 3x2 stored tiles with partial edges",
      150,
      70,
      3,
      64,
    ),
    "stored-gray": await storedCase("GRAY8 layout, stored", 33, 17, 1, 64),
    "stored-rgba-opaque": await storedCase("RGBA8_OPAQUE layout, stored, alpha all 255", 20, 9, 4, 64),
    "error-bad-magic": await errorCase("first byte changed", "BAD_MAGIC", set(0, 0x88)),
    "error-version": await errorCase("version 2", "UNSUPPORTED_VERSION", set(4, 2)),
    "error-header-crc": await errorCase("one bit of the width flipped", "HEADER_CHECKSUM", flip(8, 1)),
    "error-truncated": await errorCase("last byte missing", "TRUNCATED", (b) => b.subarray(0, b.length - 1)),
    "error-trailing": await errorCase("one extra byte", "TRAILING_DATA", (b) => {
      const o = new Uint8Array(b.length + 1);
      o.set(b);
      return o;
    }),
    "error-pixel-crc": await errorCase("one stored pixel byte changed", "PIXEL_CHECKSUM", (b) => {
      b[b.length - 1] ^= 0x40;
      return b;
    }),
    "error-tile-mode": await errorCase("tile mode 7", "BAD_TILE", (b) => {
      b[56 + 2 * 8 + 4] = 7;
      return b;
    }),
    "range-coder": rangeCoderCase(),
    "mixture-cdf": mixtureCase(),
    "error-coded-no-model": {
      meta: {
        kind: "decode",
        description: "a mode-1 (coded) tile in a stream whose model id is all zeros",
        input: "stream.l3c",
        expect: { error: "BAD_TILE" },
      },
      files: {
        "stream.l3c": writeStream({
          layout: Layout.RGB8,
          width: 8,
          height: 8,
          tileSize: 64,
          modelId: NO_MODEL,
          tiles: [{ payload: new Uint8Array([1, 0, 0, 0, 0, 0]), pixelCrc: crc32(new Uint8Array(192)) }],
        }),
      },
    },
  };
}
