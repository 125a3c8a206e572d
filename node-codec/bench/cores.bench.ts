/**
 * The entropy cores side by side on real images: every image is encoded with each core
 * (the TypeScript reference, the scalar and the SIMD128 wasm builds), the streams must be
 * byte-identical, and each core must decode the reference stream to the image's pixels;
 * then a table of encode/decode seconds per core (tile workers as the CLI's default).
 *
 *   npm run bench:cores -- <folder> [--limit n] [--model name]
 */
import { readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { parseArgs } from "node:util";
import { Codec } from "../src/codec.js";
import { readImage } from "../src/image-io.js";
import { CORE_KINDS } from "../src/runtime-options.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: "string" }, model: { type: "string" } },
});
if (positionals.length !== 1) {
  console.error("usage: npm run bench:cores -- <folder> [--limit n] [--model name]");
  process.exit(2);
}
const folder = positionals[0];
let files = readdirSync(folder)
  .filter((f) => [".png", ".webp", ".ppm", ".tif", ".tiff"].includes(extname(f).toLowerCase()))
  .sort();
if (o.limit) files = files.slice(0, Number(o.limit));
const codecs: Record<string, Codec> = {};
for (const k of CORE_KINDS) codecs[k] = await Codec.create({ core: k, workers: 2 });
const secs = Object.fromEntries(CORE_KINDS.map((k) => [k, { enc: 0, dec: 0 }]));
let mp = 0;
for (const f of files) {
  const img = await readImage(join(folder, f));
  mp += (img.width * img.height) / 1e6;
  let ref: Uint8Array | undefined;
  for (const k of CORE_KINDS) {
    let t = performance.now();
    const { bytes } = await codecs[k].encode(img, { model: o.model, verify: false });
    secs[k].enc += (performance.now() - t) / 1000;
    ref ??= bytes;
    if (!Buffer.from(bytes).equals(Buffer.from(ref as Uint8Array)))
      throw new Error(`${f}: core ${k} wrote other bytes than ${CORE_KINDS[0]}`);
    t = performance.now();
    const back = await codecs[k].decode(ref as Uint8Array);
    secs[k].dec += (performance.now() - t) / 1000;
    if (!Buffer.from(back.data).equals(Buffer.from(img.data)))
      throw new Error(`${f}: core ${k} decoded other pixels`);
  }
  process.stderr.write(`${f} identical across ${CORE_KINDS.join(", ")}\n`);
}
console.log(
  `\n${files.length} images, ${mp.toFixed(2)} MP, model ${codecs.ts.model(o.model).name}: identical bytes and pixels with every core\n`,
);
console.log("| core | encode s | decode s | decode MP/s |\n|---|---|---|---|");
for (const k of CORE_KINDS)
  console.log(
    `| ${k} | ${secs[k].enc.toFixed(1)} | ${secs[k].dec.toFixed(1)} | ${(mp / secs[k].dec).toFixed(3)} |`,
  );
for (const c of Object.values(codecs)) await c.close();
