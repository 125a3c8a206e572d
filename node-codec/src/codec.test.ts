/**
 * The codec end to end with the tiny fixture model: lossless round trips in every layout
 * and odd size, and bit-exactness across runtimes: streams encoded with onnxruntime-node
 * decode with onnxruntime-web (wasm) and the reverse, with 1 and 2 threads and different
 * graph optimization levels, with identical integer CDF parameters on both sides.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { L3cError } from "../../shared/errors.js";
import { parseHeader } from "../../shared/format.js";
import type { RawImage } from "../../shared/image.js";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { Codec } from "./codec.js";
import { readImage } from "./image-io.js";

const FIXTURES = new URL("../../test/fixtures/models", import.meta.url).pathname;
const KODAK = new URL("../../../shared/datasets/kodak", import.meta.url).pathname;

type Setup = {
  runtime: "node" | "wasm";
  threads: number;
  optimization: "disabled" | "basic" | "extended" | "all";
  /** The entropy core: the TypeScript reference or a wasm build (same bytes). */
  core: "ts" | "wasm" | "wasm-simd";
};
const SETUPS: Setup[] = [
  { runtime: "node", threads: 1, optimization: "all", core: "wasm-simd" },
  { runtime: "node", threads: 2, optimization: "disabled", core: "ts" },
  { runtime: "wasm", threads: 1, optimization: "basic", core: "wasm" },
  { runtime: "wasm", threads: 2, optimization: "all", core: "ts" },
];

const codecs = new Map<string, Codec>();
const key = (s: Setup) => `${s.runtime}/${s.threads}/${s.optimization}/${s.core}`;

beforeAll(async () => {
  for (const s of SETUPS) codecs.set(key(s), await Codec.create({ ...s, modelsDir: FIXTURES }));
});
afterAll(async () => {
  for (const c of codecs.values()) await c.close();
});

/** Decode and return pixels plus a hash of every integer parameter tensor seen. */
async function decodeTraced(codec: Codec, bytes: Uint8Array) {
  const h = parseHeader(bytes);
  const model = codec.store.get(h.modelHash);
  if (!model) throw new Error("fixture model missing");
  const hash = createHash("sha256");
  model.onParams = (what, p) =>
    hash.update(what).update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  try {
    const img = await codec.decode(bytes);
    return { img, paramsHash: hash.digest("hex") };
  } finally {
    model.onParams = undefined;
  }
}

/** The coded payload of one valid 512 x 512 tile (a pool job that takes ~0.7 s to decode). */
async function bigTilePayload(codec: Codec): Promise<Uint8Array> {
  const big = await codec.encode(syntheticImage(512, 512, 3, 1), {
    tileSize: 512,
    storedFallback: false,
    verify: false,
  });
  const t0 = parseHeader(big.bytes).tiles[0];
  return big.bytes.slice(t0.offset + 1, t0.offset + t0.length);
}

async function crossCheck(img: RawImage, tileSize = 64, model = "tiny") {
  const streams = new Map<string, Uint8Array>();
  for (const s of SETUPS) {
    const r = await codecs
      .get(key(s))!
      .encode(img, { tileSize, verify: false, model, storedFallback: false });
    expect(r.storedTiles, "every tile must exercise the model").toBe(0);
    streams.set(key(s), r.bytes);
  }
  for (const [encKey, bytes] of streams) {
    const hashes = new Set<string>();
    for (const s of SETUPS) {
      const { img: out, paramsHash } = await decodeTraced(codecs.get(key(s))!, bytes);
      expect(out.data, `encoded ${encKey}, decoded ${key(s)}`).toEqual(img.data);
      hashes.add(paramsHash);
    }
    expect(hashes.size, `CDF parameters of the ${encKey} stream differ across runtimes`).toBe(1);
  }
  return streams;
}

describe("codec with the tiny fixture model", () => {
  it("is lossless across runtimes, threads and optimization levels (generated images)", async () => {
    await crossCheck(syntheticImage(150, 70, 3, 9));
  });

  it("with the adaptive stage (adapt-1) and the z1-mode encoder policy, across runtimes and entropy cores", async () => {
    const streams = await crossCheck(syntheticImage(150, 70, 3, 9), 64, "tiny-adapt");
    // the adaptive stage really runs: the same image without it codes to other bytes
    const plain = await codecs.get(key(SETUPS[0]))!.encode(syntheticImage(150, 70, 3, 9), {
      tileSize: 64,
      verify: false,
      model: "tiny",
      storedFallback: false,
    });
    const adapted = streams.get(key(SETUPS[0]))!;
    expect(Buffer.from(adapted.subarray(60)).equals(Buffer.from(plain.bytes.subarray(60)))).toBe(false);
    expect(new Set([...streams.values()].map((b) => Buffer.from(b).toString("hex"))).size).toBe(1);
  });

  it.each([
    ["adapt-3 (adapt-2's pixel stages and the z2 stage)", "tiny-adapt3", "tiny-adapt2"],
    ["adapt-4 (adapt-3 and secondary estimation)", "tiny-adapt4", "tiny-adapt3"],
    ["adapt-5 (adapt-4 reading the adapted residuals)", "tiny-adapt5", "tiny-adapt4"],
    ["adapt-6 (adapt-5 retuned)", "tiny-adapt6", "tiny-adapt5"],
  ])(
    "with %s, across runtimes and entropy cores; not the previous scheme's stream",
    async (_, model, previous) => {
      const img = syntheticImage(150, 70, 3, 4);
      const streams = await crossCheck(img, 64, model);
      expect(new Set([...streams.values()].map((b) => Buffer.from(b).toString("hex"))).size).toBe(1);
      const opts = { tileSize: 64, verify: false, storedFallback: false } as const;
      const before = await codecs.get(key(SETUPS[0]))!.encode(img, { ...opts, model: previous });
      const now = streams.get(key(SETUPS[0]))!;
      expect(Buffer.from(now.subarray(60)).equals(Buffer.from(before.bytes.subarray(60)))).toBe(false);
    },
  );

  it('without z1 (config z1 "none": dec2 has no z1 prior), across runtimes and entropy cores', async () => {
    const img = syntheticImage(150, 70, 3, 6);
    const streams = await crossCheck(img, 64, "tiny-z1none");
    expect(new Set([...streams.values()].map((b) => Buffer.from(b).toString("hex"))).size).toBe(1);
    // the stream holds no z1 symbols: shorter than the same untrained networks' with z1 coded
    const opts = { tileSize: 64, verify: false, storedFallback: false } as const;
    const coded = await codecs.get(key(SETUPS[0]))!.encode(img, { ...opts, model: "tiny-adapt6" });
    expect(streams.get(key(SETUPS[0]))!.length).toBeLessThan(coded.bytes.length);
  });

  it.each([
    ["mode", 'z1 "mode" is not one of coded, none'],
    [null, "z1 null is not one of coded, none"],
  ])("refuses a model whose config z1 is %j", async (z1, detail) => {
    const dir = mkdtempSync(join(tmpdir(), "l3c-z1-"));
    try {
      const src = join(FIXTURES, "tiny-z1none");
      const manifest = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
      mkdirSync(join(dir, "bad"));
      for (const f of Object.values(manifest.files) as Array<{ file: string }>)
        copyFileSync(join(src, f.file), join(dir, "bad", f.file));
      const m = { ...manifest, name: "bad", config: { ...manifest.config, z1 } };
      writeFileSync(join(dir, "bad", "manifest.json"), JSON.stringify(m));
      const codec = await Codec.create({ modelsDir: dir, threads: 1 });
      try {
        await expect(
          codec.encode(syntheticImage(16, 16), { tileSize: 64, model: "bad" }),
        ).rejects.toMatchObject({ code: "UNKNOWN_MODEL", detail });
      } finally {
        await codec.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("also for the phase4 architecture", async () => {
    await crossCheck(syntheticImage(77, 61, 3, 2), 64, "tiny-phase4");
  });

  it.each([
    [1, 1, 3],
    [13, 7, 3],
    [70, 130, 1],
    [33, 9, 4],
    [8, 8, 3],
  ] as const)("round-trips %ix%i with %i channels", async (w, h, c) => {
    const img = syntheticImage(w, h, c, w * h);
    const codec = codecs.get(key(SETUPS[0]))!;
    const r = await codec.encode(img, { tileSize: 64, storedFallback: false });
    expect(r.storedTiles).toBe(0);
    expect(parseHeader(r.bytes).width).toBe(w);
    const out = await codecs.get(key(SETUPS[3]))!.decode(r.bytes);
    expect(out.channels).toBe(c);
    expect(out.data).toEqual(img.data);
  });

  it("codes noise without expanding beyond stored tiles", async () => {
    const img = syntheticImage(64, 64);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 2654435761) >>> 24;
    const r = await codecs.get(key(SETUPS[0]))!.encode(img, { tileSize: 64 });
    expect(r.bytes.length).toBeLessThanOrEqual(img.data.length + 1 + 68);
    expect((await codecs.get(key(SETUPS[2]))!.decode(r.bytes)).data).toEqual(img.data);
  });

  it("names an unknown model", async () => {
    const r = await codecs.get(key(SETUPS[0]))!.encode(syntheticImage(16, 16), { tileSize: 64 });
    const bytes = r.bytes.slice();
    const other = await Codec.create({ modelsDir: "/nonexistent" });
    await expect(other.decode(bytes)).rejects.toThrow("stream names a model that is not available");
  });

  it("codes tiles in worker threads: the same stream and pixels, errors stay typed", async () => {
    const img = syntheticImage(150, 100, 3, 5);
    const main = codecs.get(key(SETUPS[0]))!;
    const pooled = await Codec.create({ modelsDir: FIXTURES, workers: 2, threads: 1 });
    try {
      expect(pooled.concurrency).toBe(2);
      const progress: number[] = [];
      const a = await main.encode(img, { tileSize: 64, verify: false, storedFallback: false });
      const b = await pooled.encode(img, {
        tileSize: 64,
        storedFallback: false,
        onProgress: (d) => progress.push(d),
      });
      expect(b.codedTiles).toBe(6);
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
      // a Node Buffer input (whose slice() is a view) is left intact by the transfer to workers
      const buf = Buffer.from(a.bytes);
      expect((await pooled.decode(buf)).data).toEqual(img.data);
      expect(buf.equals(Buffer.from(a.bytes))).toBe(true);
      // onnxruntime-web in worker threads decodes the same pixels
      const wasm = await Codec.create({ modelsDir: FIXTURES, workers: 2, threads: 1, runtime: "wasm" });
      try {
        expect((await wasm.decode(a.bytes)).data).toEqual(img.data);
      } finally {
        await wasm.close();
      }
      // concurrent calls share the pool
      const outs = await Promise.all([pooled.decode(a.bytes), pooled.decode(a.bytes), main.decode(b.bytes)]);
      for (const o of outs) expect(o.data).toEqual(img.data);
      // a corrupt coded tile fails in the worker with the same typed error as on the main thread
      const h = parseHeader(a.bytes);
      const bad = a.bytes.slice();
      const t = h.tiles[2];
      for (let i = t.offset + 20; i < t.offset + t.length; i++) bad[i] ^= 0x5a;
      const mainErr = await main.decode(bad).catch((e) => e);
      const poolErr = await pooled.decode(bad).catch((e) => e);
      expect(mainErr.name).toBe("L3cError");
      expect(poolErr.name).toBe("L3cError");
      expect(poolErr.code).toBe(mainErr.code);
      // errors raised inside a worker arrive as the same L3cError
      await expect(
        pooled.pool!.run("decode", "00".repeat(32), new Uint8Array(4), 8, 8),
      ).rejects.toMatchObject({
        name: "L3cError",
        code: "UNKNOWN_MODEL",
      });
      // a worker that dies fails only the tile it held and is replaced. Killed here with
      // terminate() in a wasm pool: terminating a worker while an onnxruntime-node run is
      // in flight aborts the whole process ("terminate called after throwing an instance
      // of 'Napi::Error'"), which made this test crash vitest now and then.
      const dyingPool = await Codec.create({ modelsDir: FIXTURES, workers: 2, threads: 1, runtime: "wasm" });
      try {
        const slots = (
          dyingPool.pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }
        ).slots;
        // The job must outlast the terminate: a valid 512 x 512 tile (~0.7 s to decode here),
        // handed to an idle worker at once. (Invalid payloads fail within milliseconds.)
        const payload = await bigTilePayload(main);
        const dying = dyingPool.pool!.run("decode", dyingPool.model().id, payload, 512, 512);
        await slots[0].worker.terminate();
        await expect(dying).rejects.toMatchObject({ code: "INTERNAL" });
        expect((await dyingPool.decode(a.bytes)).data).toEqual(img.data);
      } finally {
        await dyingPool.close();
      }
    } finally {
      await pooled.close();
    }
  });

  it("closing a pool with a tile in flight in onnxruntime-node lets the tile finish (the process survives)", async () => {
    const pool = await Codec.create({ modelsDir: FIXTURES, workers: 1, threads: 1, runtime: "node" });
    const payload = await bigTilePayload(codecs.get(key(SETUPS[0]))!);
    const second = payload.slice(); // run() transfers its buffer
    const busy = pool.pool!.run("decode", pool.model("tiny").id, payload, 512, 512);
    const queued = pool.pool!.run("decode", pool.model("tiny").id, second, 512, 512).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50)); // the first tile is inside onnxruntime now
    await pool.close();
    // before the fix, terminate() here aborted the whole test process
    expect((await busy).length).toBe(512 * 512 * 3);
    expect(await queued).toMatchObject({ code: "INTERNAL", detail: "tile pool closed" });
  });

  it("uses a model's static z3 tables (z3_cdf) on both runtimes, and refuses invalid ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "l3c-z3-"));
    try {
      const src = join(FIXTURES, "tiny");
      const manifest = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
      const { C, L } = manifest.config;
      // a skewed table: level 3 gets most of the mass in every channel
      const row = Array.from({ length: L + 1 }, (_, i) =>
        i <= 3 ? i : 60000 + Math.floor(((i - 3) * 5536) / (L - 3)),
      );
      const write = (name: string, z3: unknown) => {
        mkdirSync(join(dir, name));
        for (const f of Object.values(manifest.files) as Array<{ file: string }>)
          copyFileSync(join(src, f.file), join(dir, name, f.file));
        const m = { ...manifest, name, config: { ...manifest.config, z3_cdf: z3 } };
        writeFileSync(join(dir, name, "manifest.json"), JSON.stringify(m));
      };
      write(
        "tiny-z3",
        Array.from({ length: C }, () => row),
      );
      write(
        "tiny-z3-bad",
        Array.from({ length: C }, () => row.map((v, i) => (i === 5 ? row[4] : v))),
      );
      const img = syntheticImage(100, 70, 3, 11);
      const node = await Codec.create({ modelsDir: dir, threads: 1 });
      const wasm = await Codec.create({ modelsDir: dir, threads: 1, runtime: "wasm" });
      try {
        const withTable = await node.encode(img, { tileSize: 64, storedFallback: false, model: "tiny-z3" });
        const plain = await codecs.get(key(SETUPS[0]))!.encode(img, {
          tileSize: 64,
          storedFallback: false,
          verify: false,
        });
        expect(withTable.bytes.length).not.toBe(plain.bytes.length); // the table was used
        expect((await wasm.decode(withTable.bytes)).data).toEqual(img.data);
        await expect(node.encode(img, { tileSize: 64, model: "tiny-z3-bad" })).rejects.toMatchObject({
          code: "UNKNOWN_MODEL",
          detail: "z3_cdf: row 0: not strictly increasing",
        });
      } finally {
        await node.close();
        await wasm.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mutated coded streams through the real tile model fail only with typed errors", async () => {
    const codec = codecs.get(key(SETUPS[0]))!;
    const seeds = [
      (
        await codec.encode(syntheticImage(70, 50, 3, 3), {
          tileSize: 64,
          storedFallback: false,
          verify: false,
        })
      ).bytes,
      (
        await codec.encode(syntheticImage(37, 21, 1, 4), {
          tileSize: 64,
          storedFallback: false,
          verify: false,
          model: "tiny-phase4",
        })
      ).bytes,
    ];
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        async (which, flips) => {
          const b = seeds[which].slice();
          // past the header (its CRC catches header edits): the range-coded payloads
          for (const [at, bit] of flips) b[60 + (at % (b.length - 60))] ^= 1 << bit;
          const r = await codec.decode(b).catch((e) => e);
          if (r instanceof Error) {
            expect(r).toBeInstanceOf(L3cError);
            codes.add((r as L3cError).code);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    expect([...codes]).toContain("CORRUPT_RANGE_CODE");
  });

  it.skipIf(!existsSync(KODAK))("is bit-exact across runtimes on a Kodak image (crop)", async () => {
    const files = readdirSync(KODAK).filter((f) => f.endsWith(".png"));
    const full = await readImage(join(KODAK, files[0]));
    // a 200x136 crop keeps the test fast while covering partial tiles
    const w = 200;
    const h = 136;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      data.set(full.data.subarray(y * full.width * 3, (y * full.width + w) * 3), y * w * 3);
    await crossCheck({ width: w, height: h, channels: 3, data }, 128);
  });
});
