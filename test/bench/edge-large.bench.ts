/**
 * A real-size photo through the edge (`npm run bench:edge-large -- [megapixels]`, default
 * 12): the Worker in workerd (Miniflare), the backend with the repository's default model,
 * a real S3 server. Times, as a browser-like client (Chromium's `<img>` Accept) sees them:
 *
 * 1. the first GET of a photo just put in the bucket (served converted from the original);
 * 2. the background l3c encode until `<key>.l3c` is stored;
 * 3. with the original deleted and a cold edge, the GET that decodes the stream.
 *
 * The photo is a mosaic of the Kodak images (../shared/datasets/kodak; a synthetic image
 * when absent), cropped to 4:3. Every answer is checked to show the original's pixels
 * before its time is printed.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import sharp, { type OverlayOptions } from "sharp";
import { backendCalls, startBackend } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startS3Server } from "../harness/s3-server.js";
import { BROWSER_ACCEPT } from "../helpers/browser-accept.js";
import { syntheticImage } from "../helpers/left-model.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const KODAK = join(ROOT, "../shared/datasets/kodak");
const MP = Number(process.argv[2] ?? 12);
const W = Math.round(Math.sqrt((MP * 1e6 * 4) / 3) / 8) * 8;
const H = Math.round((W * 3) / 4 / 8) * 8;

async function photo(): Promise<{ png: Buffer; raw: Buffer; source: string }> {
  if (!existsSync(KODAK)) {
    const img = syntheticImage(W, H, 3, 7);
    const png = await sharp(img.data, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer();
    return { png, raw: Buffer.from(img.data), source: "synthetic" };
  }
  const files = readdirSync(KODAK)
    .filter((f) => f.endsWith(".png"))
    .sort();
  const tiles: OverlayOptions[] = [];
  const cw = Math.ceil(W / 768) * 768;
  const ch = Math.ceil(H / 512) * 512;
  let i = 0;
  for (let y = 0; y < ch; y += 512) {
    for (let x = 0; x < cw; x += 768) {
      const input = await sharp(join(KODAK, files[i++ % files.length]))
        .resize(768, 512, { fit: "cover" })
        .removeAlpha()
        .png()
        .toBuffer();
      tiles.push({ input, left: x, top: y });
    }
  }
  const canvas = await sharp({ create: { width: cw, height: ch, channels: 3, background: "#000" } })
    .composite(tiles)
    .png()
    .toBuffer();
  const mosaic = await sharp(canvas).extract({ left: 0, top: 0, width: W, height: H }).png().toBuffer();
  const raw = await sharp(mosaic).removeAlpha().raw().toBuffer();
  return { png: mosaic, raw, source: "Kodak mosaic" };
}

async function timedGet(edge: Awaited<ReturnType<typeof startEdge>>, raw: Buffer) {
  const t0 = performance.now();
  const r = await edge.dispatchFetch("http://edge.test/images/photo.png", {
    headers: { Accept: BROWSER_ACCEPT["Chromium 156 <img>"] },
  });
  const body = Buffer.from(await r.arrayBuffer());
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 200) throw new Error(`GET answered ${r.status}: ${body.toString().slice(0, 300)}`);
  const px = await sharp(body).removeAlpha().raw().toBuffer();
  if (!px.equals(raw)) throw new Error("the image served does not show the original's pixels");
  return { s, bytes: body.length, type: r.headers.get("content-type") };
}

const { png, raw, source } = await photo();
const s3 = await startS3Server();
// a 12 MP encode with its verification takes minutes on 2 cores: past the backend's default
// 300 s request deadline when the machine is busy
const backend = await startBackend({
  L3C_MODELS_DIR: join(ROOT, "models"),
  L3C_WORKERS: "2",
  L3C_REQUEST_TIMEOUT_MS: "840000",
});
const bindings = {
  S3_ENDPOINT: s3.endpoint,
  BACKEND_URL: `http://127.0.0.1:${backend.port}`,
  MODEL_ID: "default",
  BACKEND_TIMEOUT_MS: "300000", // the defaults of wrangler.toml
  ENCODE_TIMEOUT_MS: "840000",
};
const rows: string[][] = [];
try {
  await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: "photo.png", Body: png }));
  let edge = await startEdge(bindings);
  const t0 = performance.now();
  const first = await timedGet(edge, raw);
  rows.push([
    "first GET (converted from the original)",
    first.s.toFixed(1),
    `${first.type}, ${first.bytes} bytes`,
  ]);
  for (;;) {
    const r = await edge.dispatchFetch("http://edge.test/images/photo.png?info");
    if (r.status === 200) {
      const info = (await r.json()) as { bytes: number; bpsp: number };
      const s = (performance.now() - t0) / 1000;
      rows.push([
        "background encode, stored (from the first GET)",
        s.toFixed(1),
        `${info.bytes} bytes, ${info.bpsp.toFixed(3)} bpsp`,
      ]);
      break;
    }
    await r.arrayBuffer();
    await new Promise((res) => setTimeout(res, 2000));
  }
  await edge.dispose();
  await s3.client.send(new DeleteObjectCommand({ Bucket: "images", Key: "photo.png" }));
  edge = await startEdge(bindings); // a cold cache and a new flight
  const decoded = await timedGet(edge, raw);
  rows.push([
    "GET with the original gone (decoded from the stream)",
    decoded.s.toFixed(1),
    `${decoded.type}, ${decoded.bytes} bytes`,
  ]);
  await edge.dispose();
  const calls = {
    encode: await backendCalls(backend.port, "/v1/encode"),
    convert: await backendCalls(backend.port, "/v1/convert"),
    decode: await backendCalls(backend.port, "/v1/decode"),
  };
  console.log(
    `\n${W}x${H} (${((W * H) / 1e6).toFixed(1)} MP, ${source}, PNG ${png.length} bytes); backend calls ${JSON.stringify(calls)}\n`,
  );
  console.log("| step | s | answer |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
} finally {
  await backend.stop();
  await s3.stop();
}
