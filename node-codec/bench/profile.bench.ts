/**
 * Where decode time goes: networks (onnxruntime runs) vs the entropy path (everything
 * else), per entropy core, on the calling thread (no workers), for one stream or image.
 *
 *   npm run bench:profile -- <image.png|stream.l3c> [--model name] [--cores wasm-simd,wasm,ts] [--runs n] [--arena]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { OrtRunner } from "../../shared/ort-runner.js";
import { Codec } from "../src/codec.js";
import { readImage } from "../src/image-io.js";
import type { CoreKind } from "../src/runtime-options.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: "string" },
    cores: { type: "string" },
    runs: { type: "string" },
    arena: { type: "boolean" },
  },
});
if (positionals.length !== 1) {
  console.error(
    "usage: npm run bench:profile -- <image|stream.l3c> [--model name] [--cores wasm-simd,wasm,ts] [--runs n] [--arena]",
  );
  process.exit(2);
}
let netMs = 0;
const run = OrtRunner.prototype.run;
OrtRunner.prototype.run = async function (this: OrtRunner, role, feeds) {
  const t = performance.now();
  try {
    return await run.call(this, role, feeds);
  } finally {
    netMs += performance.now() - t;
  }
};
const cores = (o.cores ?? "wasm-simd,wasm,ts").split(",") as CoreKind[];
const runs = Number(o.runs ?? 1);
const input = positionals[0];
let bytes: Uint8Array;
let pixels = 0;
{
  const c = await Codec.create({ workers: 0 });
  if (input.endsWith(".l3c")) bytes = new Uint8Array(readFileSync(input));
  else bytes = (await c.encode(await readImage(input), { model: o.model, verify: false })).bytes;
  const img = await c.decode(bytes);
  pixels = img.width * img.height;
  await c.close();
}
console.log(`| core | decode s | networks s | entropy path s | MP/s (1 thread) |\n|---|---|---|---|---|`);
let ref: Uint8Array | undefined;
for (const core of cores) {
  const c = await Codec.create({ core, workers: 0, cpuMemArena: o.arena ?? false });
  await c.decode(bytes); // warm: sessions created
  let best = Number.POSITIVE_INFINITY;
  let bestNet = 0;
  for (let r = 0; r < runs; r++) {
    netMs = 0;
    const t = performance.now();
    const img = await c.decode(bytes);
    const ms = performance.now() - t;
    ref ??= img.data;
    if (!Buffer.from(img.data).equals(Buffer.from(ref))) throw new Error(`${core} decoded other pixels`);
    if (ms < best) {
      best = ms;
      bestNet = netMs;
    }
  }
  console.log(
    `| ${core} | ${(best / 1000).toFixed(2)} | ${(bestNet / 1000).toFixed(2)} | ${((best - bestNet) / 1000).toFixed(2)} | ${(pixels / 1e6 / (best / 1000)).toFixed(3)} |`,
  );
  await c.close();
}
