/**
 * Edge latency: p50/p99 for cache hits and misses (`npm run bench:edge`).
 * Runs the Worker in workerd (Miniflare) against the tiny fixture backend and a local
 * S3-compatible server; a miss includes the origin read and a backend decode of the
 * stored stream (first encodes are done up front, and checked to round-trip).
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { startBackend } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startS3Server } from "../harness/s3-server.js";
import { syntheticImage } from "../helpers/left-model.js";

const N = Number(process.argv[2] ?? 40);
const s3 = await startS3Server();
const backend = await startBackend();
const edge = await startEdge({ S3_ENDPOINT: s3.endpoint, BACKEND_URL: `http://127.0.0.1:${backend.port}` });
const img = syntheticImage(128, 96, 3, 5);
const png = await sharp(img.data, { raw: { width: 128, height: 96, channels: 3 } })
  .png()
  .toBuffer();
for (let i = 0; i < N; i++) {
  await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: `b${i}.png`, Body: png }));
  const r = await edge.dispatchFetch(`http://edge.test/images/b${i}.png?codec=l3c`);
  if (r.status !== 200) throw new Error(`encode through the edge failed: ${r.status}`);
  await r.arrayBuffer();
}
const first = await edge.dispatchFetch("http://edge.test/images/b0.png", {
  headers: { Accept: "image/png" },
});
const back = await sharp(Buffer.from(await first.arrayBuffer()))
  .raw()
  .toBuffer();
if (!back.equals(Buffer.from(img.data))) throw new Error("edge round trip is not lossless");
await new Promise((r) => setTimeout(r, 500));

async function measure(label: string, path: (i: number) => string, accept: string) {
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const r = await edge.dispatchFetch(`http://edge.test${path(i)}`, { headers: { Accept: accept } });
    await r.arrayBuffer();
    lat.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`${label}: ${r.status}`);
  }
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  console.log(`| ${label} | ${N} | ${p(0.5).toFixed(1)} | ${p(0.99).toFixed(1)} |`);
}

console.log("\n| request | n | p50 ms | p99 ms |\n|---|---|---|---|");
await measure("miss (decode to WebP via backend)", (i) => `/images/b${i}.png`, "image/webp");
await new Promise((r) => setTimeout(r, 500));
await measure("hit (WebP from the Cache API)", (i) => `/images/b${i}.png`, "image/webp");
await measure("hit (.l3c stream)", (i) => `/images/b${i}.png?codec=l3c`, "image/vnd.l3c");
await edge.dispose();
await backend.stop();
s3.stop();
