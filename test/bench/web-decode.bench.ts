/**
 * `npm run bench:web -- [image.png] [runs] [--graph-form int|float-exact]`: decode time of one image's `.l3c` in
 * headless Chromium (Debian's, playwright-core) through the edge, as a page would:
 * `decodeL3c(url)` fetches `?codec=l3c` and decodes it in Web Workers with
 * onnxruntime-web (wasm). The stream is encoded here with the default model (verified),
 * the first decode's pixels are checked against the image before anything is timed.
 * "cold" is a fresh page's first decode (worker start, wasm compile, model fetch and
 * sessions included); "warm" the median of the later ones on that page. "first paint" is
 * when the first preview arrives (`onPreview`: a tile's 1/8 image), "all tiles" when
 * every tile has had one (the whole image previewed), each from the call's start.
 * Default image: ../shared/datasets/kodak/kodim23.png.
 */
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { Codec } from "../../node-codec/src/codec.js";
import { launchChromium } from "../harness/chromium.js";
import { startWebEnv } from "../harness/web-env.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const args = process.argv.slice(2).filter((a) => !a.startsWith("--graph-form="));
const graphForm = process.argv.find((a) => a.startsWith("--graph-form="))?.slice("--graph-form=".length);
if (graphForm !== undefined && graphForm !== "int" && graphForm !== "float-exact")
  throw new Error(`Expected int or float-exact for --graph-form but received ${graphForm}`);
const file = args[0] ?? join(ROOT, "../shared/datasets/kodak/kodim23.png");
const runs = Number(args[1] ?? 3);

const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const codec = await Codec.create({ modelsDir: join(ROOT, "models"), workers: 2 });
const enc = await codec.encode({
  width: info.width,
  height: info.height,
  channels: 3,
  data: new Uint8Array(data),
});
await codec.close();
const rgba = new Uint8Array(info.width * info.height * 4);
for (let i = 0, o = 0; i < data.length; i += 3, o += 4) rgba.set([data[i], data[i + 1], data[i + 2], 255], o);

const env = await startWebEnv();
const browser = await launchChromium();
try {
  const key = "bench/image.png";
  await env.s3.client.send(new PutObjectCommand({ Bucket: "images", Key: `${key}.l3c`, Body: enc.bytes }));
  await env.s3.client.send(
    new PutObjectCommand({ Bucket: "images", Key: key, Body: await sharp(file).png().toBuffer() }),
  );
  const rows: string[] = [];
  for (const workers of [2, 1]) {
    const page = await browser.newPage();
    // tsx keeps function names with a __name helper that the page does not have.
    await page.addInitScript("globalThis.__name = (f) => f");
    const hash = new URLSearchParams({ module: `${env.url}/_l3c/l3c.js` });
    await page.goto(`${env.url}/_l3c/test-page.html#${hash}`);
    await page.waitForFunction(() => "l3c" in globalThis);
    const r = await page.evaluate(
      async ([url, n, w, expected, form]) => {
        const m = (globalThis as unknown as { l3c: typeof import("../../web/src/index.js") }).l3c;
        const ms: number[] = [];
        const first: number[] = [];
        const all: number[] = [];
        let differing = -1;
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const seen = new Set<number>();
          let tiles = 0;
          const d = await m.decodeL3c(url, {
            workers: w,
            ...(form ? { graphForm: form as "int" | "float-exact" } : {}),
            onPreview: (_image, info) => {
              const t = performance.now() - t0;
              tiles = Math.ceil(info.imageWidth / info.width) * Math.ceil(info.imageHeight / info.height);
              if (seen.size === 0) first.push(t);
              seen.add(info.tile);
              if (seen.size === tiles && all.length === i) all.push(t);
            },
          });
          ms.push(performance.now() - t0);
          if (i === 0) {
            differing = 0;
            const e = Uint8Array.from(atob(expected), (c) => c.charCodeAt(0));
            for (let j = 0; j < e.length; j++) if (d.data[j] !== e[j]) differing++;
          }
        }
        return { ms, first, all, differing, cores: navigator.hardwareConcurrency };
      },
      [
        `${env.url}/images/${key}`,
        runs,
        workers,
        Buffer.from(rgba).toString("base64"),
        graphForm ?? "",
      ] as const,
    );
    if (r.differing !== 0)
      throw new Error(`decoded pixels differ (${r.differing} bytes): not timing a wrong decode`);
    const median = (xs: number[]) => {
      const warm = xs.slice(1).sort((a, b) => a - b);
      return warm.length ? warm[Math.floor((warm.length - 1) / 2)] : Number.NaN;
    };
    const s = (ms: number) => (ms / 1000).toFixed(2);
    const med = median(r.ms);
    const mp = (info.width * info.height) / 1e6;
    rows.push(
      `| ${file.split("/").pop()} | ${info.width} x ${info.height} | ${enc.bytes.length} | ${workers} of ${r.cores} | ${s(r.first[0])} / ${s(r.all[0])} / ${s(r.ms[0])} | ${s(median(r.first))} / ${s(median(r.all))} / ${s(med)} | ${(median(r.first) / med).toFixed(2)} | ${(mp / (med / 1000)).toFixed(3)} |`,
    );
    await page.close();
  }
  console.log(
    `\nChromium ${browser.version()}, model ${enc.model.name} (${graphForm ?? "int"} graphs), tiles of 256, ${runs} decodes per page\n`,
  );
  console.log(
    "| image | size | .l3c bytes | workers | cold s: first paint / all tiles / decoded | warm s (median): first paint / all tiles / decoded | warm first paint / decode | warm MP/s |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
} finally {
  await browser.close();
  await env.stop();
}
