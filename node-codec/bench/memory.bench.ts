/**
 * Peak memory of encoding and decoding a large image (default 30 MP, 6708 x 4472).
 *   npm run bench:memory -- [--mp 30] [--models <dir>] [--tile-size 256] [--workers <n>] [--arena]
 * Prints peak RSS per phase (the kernel's high-water mark, reset between phases, so a
 * peak inside a native call is not missed; worker threads count, they share the process);
 * the round trip is checked. Tiles bound the working memory: what grows with the image is
 * the pixel buffer (3 bytes/pixel) and the stream.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_TILE_SIZE } from "../../shared/format.js";
import { Codec } from "../src/codec.js";
import { defaultWorkers } from "../src/runtime-options.js";

const { values: o } = parseArgs({
  options: {
    mp: { type: "string" },
    models: { type: "string" },
    "tile-size": { type: "string" },
    workers: { type: "string" },
    arena: { type: "boolean" },
  },
});
const workers = o.workers === undefined ? defaultWorkers() : Number(o.workers);

/** Peak RSS since the last reset: VmHWM on Linux, else sampled every 50 ms. */
function resetPeak() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not Linux: the sampled peak below is used
  }
  peak = process.memoryUsage().rss;
}
function readPeak(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Math.max(Number(m[1]) * 1024, peak);
  } catch {
    // fall through
  }
  return peak;
}
const mp = Number(o.mp ?? 30);
const width = Math.round(Math.sqrt((mp * 1e6 * 3) / 2));
const height = Math.round((width * 2) / 3);
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const data = new Uint8Array(width * height * 3);
let s = 1;
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    const i = (y * width + x) * 3;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const n = (s >>> 28) - 8;
    data[i] = (128 + 90 * Math.sin(x / 37) * Math.cos(y / 53) + n) & 255;
    data[i + 1] = (data[i] + 20 + (n >> 1)) & 255;
    data[i + 2] = (data[i] * 0.7 + 30 + n) & 255;
  }
}
const img = { width, height, channels: 3 as const, data };
const codec = await Codec.create({ modelsDir: o.models, workers, cpuMemArena: Boolean(o.arena) });
const gib = (b: number) => (b / 2 ** 30).toFixed(2);
const base = readPeak();
resetPeak();
let t = performance.now();
const { bytes } = await codec.encode(img, {
  verify: false,
  tileSize: Number(o["tile-size"] ?? DEFAULT_TILE_SIZE),
});
const encS = (performance.now() - t) / 1000;
const encPeak = readPeak();
resetPeak();
t = performance.now();
const out = await codec.decode(bytes);
const decS = (performance.now() - t) / 1000;
const decPeak = readPeak();
clearInterval(timer);
for (let i = 0; i < data.length; i++)
  if (out.data[i] !== data[i]) throw new Error(`round trip failed at ${i}`);
console.log(
  `\n${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP), model ${codec.model().name}, ${workers} worker(s)\n`,
);
console.log("| phase | peak RSS GiB | seconds |\n|---|---|---|");
console.log(`| after generating the image | ${gib(base)} | |`);
console.log(`| encode | ${gib(encPeak)} | ${encS.toFixed(1)} |`);
console.log(`| decode | ${gib(decPeak)} | ${decS.toFixed(1)} |`);
console.log(`\nstream ${bytes.length} bytes (${((bytes.length * 8) / data.length).toFixed(3)} bpsp)`);
await codec.close();
