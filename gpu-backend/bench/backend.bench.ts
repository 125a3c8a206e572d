/**
 * Backend throughput and latency at 1, 4 and 16 concurrent clients.
 *   npm run bench:backend -- [image.png] [--requests N] [--op encode|decode]
 * Starts the real service on loopback (models from L3C_MODELS_DIR or models/), checks one
 * encode/decode round trip, then times closed-loop clients. 503s (queue full) are
 * counted, not timed.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { start } from "../src/server.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: "string" }, op: { type: "string" } },
});
const TOKEN = "bench-token-0123456789";
const srv = await start({ ...process.env, L3C_BACKEND_TOKEN: TOKEN, PORT: "0", L3C_MAX_QUEUE: "64" });
const base = `http://127.0.0.1:${srv.port}`;
const headers = { Authorization: `Bearer ${TOKEN}` };
const input = positionals[0]
  ? new Uint8Array(readFileSync(positionals[0]))
  : new Uint8Array(
      await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 90, g: 140, b: 200 } } })
        .composite([
          {
            input: Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => (i * 37) % 251)),
            raw: { width: 256, height: 256, channels: 3 },
            blend: "overlay",
          },
        ])
        .png()
        .toBuffer(),
    );
const meta = await sharp(input).metadata();
const mp = ((meta.width ?? 0) * (meta.height ?? 0)) / 1e6;
const enc = await fetch(`${base}/v1/encode`, {
  method: "POST",
  body: input as Uint8Array<ArrayBuffer>,
  headers,
});
if (enc.status !== 200) throw new Error(`encode failed: ${enc.status} ${await enc.text()}`);
const stream = new Uint8Array(await enc.arrayBuffer());
const dec = await fetch(`${base}/v1/decode`, {
  method: "POST",
  body: stream as Uint8Array<ArrayBuffer>,
  headers,
});
const a = await sharp(Buffer.from(await dec.arrayBuffer()))
  .raw()
  .toBuffer();
const b = await sharp(input).raw().toBuffer();
if (!a.equals(b)) throw new Error("round trip through the service is not lossless");

const op = o.op ?? "decode";
const body = op === "encode" ? input : stream;
const perLevel = Number(o.requests ?? 24);
console.log(
  `\nbackend ${op}, ${meta.width}x${meta.height} (${mp.toFixed(2)} MP), ${perLevel} requests per level\n`,
);
console.log("| clients | throughput MP/s | p50 ms | p99 ms | 503s |\n|---|---|---|---|---|");
for (const clients of [1, 4, 16]) {
  const lat: number[] = [];
  let rejected = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < perLevel) {
        next++;
        const t = performance.now();
        const r = await fetch(`${base}/v1/${op}`, {
          method: "POST",
          body: body as Uint8Array<ArrayBuffer>,
          headers,
        });
        await r.arrayBuffer();
        if (r.status === 503) rejected++;
        else if (r.status === 200) lat.push(performance.now() - t);
        else throw new Error(`status ${r.status}`);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((x, y) => x - y);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  console.log(
    `| ${clients} | ${((lat.length * mp) / secs).toFixed(3)} | ${pct(0.5).toFixed(0)} | ${pct(0.99).toFixed(0)} | ${rejected} |`,
  );
}
await srv.stop();
