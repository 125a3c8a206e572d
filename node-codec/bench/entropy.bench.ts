/**
 * The entropy path alone, per entropy core, on real tiles: the networks run once per tile
 * (its encode, through the TypeScript reference core), every call the model makes into
 * the core is recorded (z3 tables, z2 / z1 mixtures, the ten pixel stages, with their
 * integer parameters), and then each core encodes and decodes the recorded tiles by
 * itself (default: the two wasm builds; `--cores ts` times the reference too, ~7x slower).
 * Every core must write the reference's bytes and decode them to the tile's
 * pixels before anything is timed. One thread, no workers: the table is the coder loop's
 * cost, without onnxruntime's (see bench:profile for the split of a whole decode).
 * The cores take turns tile by tile, and each core's time is the sum over tiles of its
 * best run: this machine's speed drifts by 10-20% within a minute, which whole-run
 * timings of one core after another cannot tell from a change.
 * `--against <dir>` adds each selected wasm build as found in <dir> (e.g. a copy of
 * shared/wasm/build from before a change), timed in the same turns.
 *
 *   npm run bench:entropy -- <folder|image>... [--limit n] [--model name] [--cores wasm-simd,wasm,ts] [--runs n] [--tile-size n] [--against dir]
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import type { EntropyCore, StageGeometry, TileCoder, TileCoderOptions } from "../../shared/entropy-core.js";
import { tsCore } from "../../shared/entropy-core.js";
import { DEFAULT_TILE_SIZE, tileGrid } from "../../shared/format.js";
import { tileToRgb } from "../../shared/image.js";
import { L3cTileModel } from "../../shared/l3c-model.js";
import { type OrtLike, OrtRunner } from "../../shared/ort-runner.js";
import { wasmCore } from "../../shared/wasm/wasm-core.js";
import { readImage } from "../src/image-io.js";
import { defaultModel, listModels, readGraph } from "../src/model-store.js";
import { CORE_KINDS, type CoreKind, entropyCore } from "../src/runtime-options.js";
import { wasmPath } from "../src/wasm-core-node.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string" },
    model: { type: "string" },
    cores: { type: "string" },
    runs: { type: "string" },
    "tile-size": { type: "string" },
    against: { type: "string" },
  },
});
const usage =
  "usage: npm run bench:entropy -- <folder|image>... [--limit n] [--model name] [--cores wasm-simd,wasm,ts] [--runs n] [--tile-size n] [--against dir]";
if (!positionals.length) {
  console.error(usage);
  process.exit(2);
}
const kinds = (o.cores ?? "wasm-simd,wasm").split(",") as CoreKind[];
for (const k of kinds)
  if (!CORE_KINDS.includes(k)) {
    console.error(`--cores: ${k} is not one of ${CORE_KINDS.join(", ")}\n${usage}`);
    process.exit(2);
  }
const runs = Number(o.runs ?? 3);
const tileSize = Number(o["tile-size"] ?? DEFAULT_TILE_SIZE);

const images = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => [".png", ".webp", ".ppm", ".tif", ".tiff"].includes(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(p, f))
    : [p],
);
const files = o.limit ? images.slice(0, Number(o.limit)) : images;

/** One recorded call into a TileCoder. */
type Call =
  | { op: "table"; cdf: Int32Array; sym: Uint8Array }
  | {
      op: "z";
      level: 1 | 2;
      params: Int32Array;
      C: number;
      K: number;
      L: number;
      hw: number;
      sym: Uint8Array;
    }
  | { op: "stage"; geo: StageGeometry; params: Int32Array; K: number };
interface Tile {
  opts: TileCoderOptions & { symbols: number };
  rgb: Uint8Array;
  calls: Call[];
  bytes: Uint8Array;
}

/** A core whose encoders record every call (and pass it on to `inner`). */
function recording(inner: EntropyCore, into: Tile[], rgbOf: () => Uint8Array): EntropyCore {
  return {
    ...inner,
    encoder(opts: TileCoderOptions & { symbols: number }): TileCoder {
      const c = inner.encoder(opts);
      const tile: Tile = { opts: { ...opts }, rgb: rgbOf(), calls: [], bytes: new Uint8Array(0) };
      into.push(tile);
      return {
        table(cdf, sym) {
          tile.calls.push({ op: "table", cdf: cdf.slice(), sym: sym.slice() });
          c.table(cdf, sym);
        },
        z(level, params, C, K, L, hw, sym) {
          c.z(level, params, C, K, L, hw, sym);
          tile.calls.push({
            op: "z",
            level,
            params: params.slice(),
            C,
            K,
            L,
            hw,
            sym: sym.slice(),
          });
        },
        stage(geo, params, K, rgb) {
          tile.calls.push({ op: "stage", geo: { ...geo }, params: params.slice(), K });
          c.stage(geo, params, K, rgb);
        },
        finish() {
          tile.bytes = c.finish();
          return tile.bytes;
        },
        dispose() {
          c.dispose();
        },
      };
    },
  };
}

/** Runs the recorded calls of one tile through a coder (decoding: into rgb). */
function replay(coder: TileCoder, t: Tile, rgb: Uint8Array, decode: boolean): void {
  for (const c of t.calls) {
    if (c.op === "table") coder.table(c.cdf, decode ? new Uint8Array(c.sym.length) : c.sym);
    else if (c.op === "z")
      coder.z(c.level, c.params, c.C, c.K, c.L, c.hw, decode ? new Uint8Array(c.sym.length) : c.sym);
    else coder.stage(c.geo, c.params, c.K, rgb);
  }
}

/** A tile's recorded calls encoded by `core`: the bytes. */
function encodeWith(core: EntropyCore, t: Tile): Uint8Array {
  const e = core.encoder(t.opts);
  try {
    replay(e, t, t.rgb, false);
    return e.finish();
  } finally {
    e.dispose();
  }
}

/** The tile's reference bytes decoded by `core`: the pixels. */
function decodeWith(core: EntropyCore, t: Tile): Uint8Array {
  const rgb = new Uint8Array(t.rgb.length);
  const d = core.decoder(t.bytes, t.opts);
  try {
    replay(d, t, rgb, true);
    return rgb;
  } finally {
    d.dispose();
  }
}

const entries = listModels();
const entry = o.model
  ? entries.find((e) => e.name === o.model || e.id.startsWith(o.model!))
  : defaultModel(entries);
if (!entry) {
  console.error(`no model named ${o.model}`);
  process.exit(2);
}
const runner = new OrtRunner(ort as unknown as OrtLike, async (role) => readGraph(entry, role));
let current: Uint8Array = new Uint8Array(0);
const tiles: Tile[] = [];
const model = new L3cTileModel(
  Uint8Array.from(Buffer.from(entry.id, "hex")),
  entry.manifest.config,
  runner,
  recording(tsCore, tiles, () => current),
);
/** The cores timed: the selected kinds, then (--against) their wasm builds from another folder. */
const cores: [name: string, core: EntropyCore][] = kinds.map((k) => [k, entropyCore({ core: k })]);
if (o.against)
  for (const k of kinds) {
    if (k === "ts") continue;
    const file = join(o.against, basename(wasmPath(k)));
    if (!existsSync(file)) {
      console.error(`--against: ${file} does not exist (a folder holding a ${k} build)\n${usage}`);
      process.exit(2);
    }
    const name = `${k} (${file})`;
    cores.push([name, wasmCore(new WebAssembly.Module(readFileSync(file)), name)]);
  }
const secs = cores.map(() => ({ enc: 0, dec: 0 }));
let pixels = 0;
let tileCount = 0;

for (const [fi, f] of files.entries()) {
  const img = await readImage(f);
  if (img.channels !== 3) throw new Error(`${f}: ${img.channels} channels (the bench takes RGB)`);
  tiles.length = 0;
  const { cols, rows } = tileGrid(img.width, img.height, tileSize);
  for (let ty = 0; ty < rows; ty++)
    for (let tx = 0; tx < cols; tx++) {
      const [x, y] = [tx * tileSize, ty * tileSize];
      const w = Math.min(tileSize, img.width - x);
      const h = Math.min(tileSize, img.height - y);
      current = tileToRgb(img, x, y, w, h);
      await model.encodeTile(current, w, h);
    }
  for (const [name, core] of cores)
    for (const t of tiles) {
      // checked first: the reference's bytes, and the tile's pixels back
      if (!Buffer.from(encodeWith(core, t)).equals(Buffer.from(t.bytes)))
        throw new Error(`${f}: core ${name} wrote other bytes`);
      if (!Buffer.from(decodeWith(core, t)).equals(Buffer.from(t.rgb)))
        throw new Error(`${f}: core ${name} decoded other pixels`);
    }
  // the cores take turns tile by tile; each keeps its best run per tile
  const best = cores.map(() =>
    tiles.map(() => ({ enc: Number.POSITIVE_INFINITY, dec: Number.POSITIVE_INFINITY })),
  );
  for (let r = 0; r < runs; r++)
    tiles.forEach((t, ti) => {
      cores.forEach(([, core], ci) => {
        const b = best[ci][ti];
        let t0 = performance.now();
        encodeWith(core, t);
        b.enc = Math.min(b.enc, performance.now() - t0);
        t0 = performance.now();
        decodeWith(core, t);
        b.dec = Math.min(b.dec, performance.now() - t0);
      });
    });
  best.forEach((per, ci) => {
    for (const b of per) {
      secs[ci].enc += b.enc / 1000;
      secs[ci].dec += b.dec / 1000;
    }
  });
  pixels += img.width * img.height;
  tileCount += tiles.length;
  process.stderr.write(`\r${fi + 1}/${files.length} images`);
}
process.stderr.write("\n");
await runner.release();

const mp = pixels / 1e6;
console.log(
  `\n${files.length} images, ${tileCount} tiles of ${tileSize}, ${mp.toFixed(2)} MP, model ${entry.name} (adapt ${entry.manifest.config.adapt ?? "none"}): ` +
    `every core wrote the reference's bytes and decoded them to the pixels. Per tile the best of ${runs} runs, cores in turn, one thread.\n`,
);
console.log("| core | encode s | decode s | decode MP/s | decode ns per subpixel |\n|---|---|---|---|---|");
for (const [ci, [name]] of cores.entries()) {
  const { enc, dec } = secs[ci];
  console.log(
    `| ${name} | ${enc.toFixed(2)} | ${dec.toFixed(2)} | ${(mp / dec).toFixed(3)} | ${((dec / (3 * pixels)) * 1e9).toFixed(0)} |`,
  );
}
