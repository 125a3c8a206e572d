/**
 * Codec benchmark: one table per image folder.
 *   npm run bench -- <folder> [<folder>...] [--limit N] [--workers N] [--threads N] [--runtime node|wasm] [--tile-size N] [--model a,b] [--chart out.svg]
 *
 * Per codec: bpsp by real file size, encode and decode MP/s (this machine, one process).
 * l3c: real file sizes, timed with the CLI's default tile workers (one per core, at most 8;
 * --workers 0: the main thread).
 * PNG: the input files as given (size), sharp at level 9 for speed. WebP: lossless, effort 6.
 * JPEG XL (cjxl/djxl -d 0 -e 7) and JPEG 2000 (opj_compress/opj_decompress) when installed.
 * Every round trip is checked for identical pixels before its time is counted.
 * --model: the l3c models to measure, one row each (default: the default model); the
 * "against" lines compare each with JPEG XL and WebP from the same run.
 * --chart writes the last folder's table as a picture: bpsp against decode MP/s (chart.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { DEFAULT_TILE_SIZE, subpixels } from "../../shared/format.js";
import type { RawImage } from "../../shared/image.js";
import { Codec, type Runtime } from "../src/codec.js";
import { readImage } from "../src/image-io.js";
import { defaultWorkers } from "../src/runtime-options.js";
import { bpspChart } from "./chart.js";

const { values: o, positionals: folders } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string" },
    threads: { type: "string" },
    workers: { type: "string" },
    runtime: { type: "string" },
    "tile-size": { type: "string" },
    model: { type: "string" },
    chart: { type: "string" },
  },
});
if (!folders.length) {
  console.error(
    "usage: npm run bench -- <folder>... [--limit N] [--workers N] [--threads N] [--runtime node|wasm] [--tile-size N] [--model a,b] [--chart out.svg]",
  );
  process.exit(2);
}

interface Row {
  bits: number;
  encS: number;
  decS: number;
}
const now = () => performance.now() / 1000;

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

async function rawOf(buf: Buffer | string): Promise<Uint8Array> {
  return new Uint8Array((await sharp(buf).raw().toBuffer()).buffer);
}

async function external(img: RawImage, tmp: string, kind: "jxl" | "j2k"): Promise<Row> {
  const ppm = join(tmp, "in.ppm");
  const hdr = `P6\n${img.width} ${img.height}\n255\n`;
  const body =
    img.channels === 3
      ? img.data
      : Uint8Array.from(
          { length: img.width * img.height * 3 },
          (_, i) => img.data[Math.floor(i / 3) * img.channels + (img.channels === 1 ? 0 : i % 3)],
        );
  writeFileSync(ppm, Buffer.concat([Buffer.from(hdr), Buffer.from(body)]));
  const enc = join(tmp, kind === "jxl" ? "o.jxl" : "o.j2k");
  const out = join(tmp, "out.ppm");
  let t = now();
  if (kind === "jxl") execFileSync("cjxl", [ppm, enc, "-d", "0", "-e", "7", "--quiet"], { stdio: "ignore" });
  else execFileSync("opj_compress", ["-i", ppm, "-o", enc], { stdio: "ignore" });
  const encS = now() - t;
  t = now();
  if (kind === "jxl") execFileSync("djxl", [enc, out, "--quiet"], { stdio: "ignore" });
  else execFileSync("opj_decompress", ["-i", enc, "-o", out], { stdio: "ignore" });
  const decS = now() - t;
  const back = readFileSync(out);
  if (!same(new Uint8Array(back.subarray(back.length - body.length)), body))
    throw new Error(`${kind} round trip failed`);
  return { bits: statSync(enc).size * 8, encS, decS };
}

const runtime = (o.runtime ?? "node") as Runtime;
const threads = o.threads ? Number(o.threads) : undefined;
const tileSize = o["tile-size"] ? Number(o["tile-size"]) : DEFAULT_TILE_SIZE;
const workers = o.workers === undefined ? defaultWorkers() : Number(o.workers);
const codec = await Codec.create({ runtime, threads, workers });
const entries = (o.model ? o.model.split(",") : [undefined]).map((m) => codec.model(m));
const tools = { jxl: has("cjxl") && has("djxl"), j2k: has("opj_compress") && has("opj_decompress") };
const tmp = mkdtempSync(join(tmpdir(), "l3c-bench-"));

for (const folder of folders) {
  let files = readdirSync(folder)
    .filter((f) => [".png", ".webp", ".ppm", ".tif", ".tiff"].includes(extname(f).toLowerCase()))
    .sort();
  if (o.limit) files = files.slice(0, Number(o.limit));
  const acc: Record<string, Row> = {};
  const add = (k: string, r: Row) => {
    acc[k] ??= { bits: 0, encS: 0, decS: 0 };
    acc[k].bits += r.bits;
    acc[k].encS += r.encS;
    acc[k].decS += r.decS;
  };
  let codedSubpixels = 0;
  let pixels = 0;
  for (const f of files) {
    const path = join(folder, f);
    const img = await readImage(path);
    let t = 0;
    for (const entry of entries) {
      t = now();
      const { bytes } = await codec.encode(img, { tileSize, verify: false, model: entry.name });
      const encS = now() - t;
      t = now();
      const back = await codec.decode(bytes);
      const decS = now() - t;
      if (!same(back.data, img.data)) throw new Error(`l3c ${entry.name} round trip failed on ${f}`);
      add(`l3c (${entry.name})`, { bits: bytes.length * 8, encS, decS });
    }
    // PNG as given (size) + sharp speed
    const raw = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
    t = now();
    const png = await raw.clone().png({ compressionLevel: 9 }).toBuffer();
    const pngEnc = now() - t;
    t = now();
    const pngBack = await rawOf(png);
    const pngDec = now() - t;
    if (!same(pngBack, img.data)) throw new Error(`png round trip failed on ${f}`);
    add("PNG (as given)", { bits: statSync(path).size * 8, encS: pngEnc, decS: pngDec });
    // WebP lossless
    t = now();
    const webp = await raw.clone().webp({ lossless: true, effort: 6 }).toBuffer();
    const wEnc = now() - t;
    t = now();
    const wBack = await rawOf(webp);
    const wDec = now() - t;
    if (!same(wBack, img.data)) throw new Error(`webp round trip failed on ${f}`);
    add("WebP lossless (effort 6)", { bits: webp.length * 8, encS: wEnc, decS: wDec });
    if (tools.jxl) add("JPEG XL (-d 0 -e 7)", await external(img, tmp, "jxl"));
    if (tools.j2k) add("JPEG 2000 (lossless)", await external(img, tmp, "j2k"));
    codedSubpixels += subpixels(img);
    pixels += img.width * img.height;
    process.stderr.write(
      `\r${basename(folder)}: ${Object.keys(acc).length ? files.indexOf(f) + 1 : 0}/${files.length}`,
    );
  }
  process.stderr.write("\n");
  const mp = pixels / 1e6;
  console.log(`\n### ${folder} (${files.length} images, ${mp.toFixed(2)} MP)\n`);
  const models = entries.map((e) => `${e.name} (${e.id.slice(0, 16)})`).join(", ");
  console.log(
    `model ${models}, runtime ${runtime}, tile ${tileSize}, ${workers} tile worker(s), node ${process.version}\n`,
  );
  console.log("| codec | bpsp | encode MP/s | decode MP/s |\n|---|---|---|---|");
  for (const [k, r] of Object.entries(acc)) {
    console.log(
      `| ${k} | ${(r.bits / codedSubpixels).toFixed(3)} | ${(mp / r.encS).toFixed(3)} | ${(mp / r.decS).toFixed(3)} |`,
    );
  }
  for (const entry of entries) {
    const l3c = acc[`l3c (${entry.name})`];
    for (const ref of ["JPEG XL (-d 0 -e 7)", "WebP lossless (effort 6)"]) {
      const r = acc[ref];
      if (l3c && r)
        console.log(
          `\nl3c ${entry.name} against ${ref}: size ${((l3c.bits / r.bits - 1) * 100).toFixed(1)}%, ` +
            `decode speed ${(r.decS / l3c.decS).toFixed(3)}x, encode speed ${(r.encS / l3c.encS).toFixed(3)}x`,
        );
    }
  }
  if (o.chart) {
    const points = Object.entries(acc).map(([label, r]) => ({
      label,
      bpsp: r.bits / codedSubpixels,
      decodeMps: mp / r.decS,
    }));
    writeFileSync(o.chart, bpspChart(`${basename(folder)}: ${files.length} images, lossless`, points));
    console.log(`\nchart: ${o.chart}`);
  }
  if (!tools.jxl) console.log("\nJPEG XL skipped: cjxl/djxl not installed.");
  if (!tools.j2k) console.log("JPEG 2000 skipped: opj_compress/opj_decompress not installed.");
}
rmSync(tmp, { recursive: true, force: true });
await codec.close();
