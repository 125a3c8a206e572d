/**
 * Real Chromium (Debian's, through playwright-core) against the edge in workerd over
 * HTTP: `<img>` tags of edge URLs in every variant load and show the original's pixels
 * (canvas getImageData), with the Accept headers Chromium really sends; `<l3c-img>`
 * decodes l3c in Web Workers with onnxruntime-web (tiny fixture model and the real
 * default model), checks CRCs, falls back to the negotiated URL without WebAssembly, and
 * works from another origin; the demo page runs end to end (screenshot saved in
 * test-results/browser/). curl and wget, with their default Accept, get WebP too.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Codec } from "../../node-codec/src/codec.js";
import { crc32 } from "../../shared/crc32.js";
import { launchChromium } from "../harness/chromium.js";
import { pagePixels } from "../harness/page-pixels.js";
import { defaultModelName, startWebEnv, type WebEnv } from "../harness/web-env.js";
import { negotiatedFor } from "../helpers/browser-accept.js";
import { syntheticImage } from "../helpers/left-model.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const KODIM23 = join(ROOT, "../shared/datasets/kodak/kodim23.png");
const SHOTS = join(ROOT, "test-results/browser");

let env: WebEnv;
let browser: Browser;
const small = syntheticImage(96, 80, 3, 5);
let smallRgba: number[];
let crop: { rgba: number[]; png: Buffer; stream: Uint8Array };
let fastCrop: typeof crop;

function rgba(data: Uint8Array, channels: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += channels) out.push(data[i], data[i + 1], data[i + 2], 255);
  return out;
}

async function put(key: string, body: Uint8Array, type: string) {
  await env.s3.client.send(
    new PutObjectCommand({ Bucket: "images", Key: key, Body: body, ContentType: type }),
  );
}

/**
 * A 320 x 192 crop (two tiles of the default 256) of kodim23, or a synthetic one without
 * datasets, and its stream by a real model (the default unless named).
 */
async function realModelCrop(model?: string) {
  const img = existsSync(KODIM23)
    ? await sharp(KODIM23).extract({ left: 300, top: 200, width: 320, height: 192 }).raw().toBuffer()
    : syntheticImage(320, 192, 3, 9).data;
  const codec = await Codec.create({ modelsDir: join(ROOT, "models") });
  try {
    const r = await codec.encode(
      { width: 320, height: 192, channels: 3, data: new Uint8Array(img) },
      { model },
    );
    expect(r.model.name).toBe(model ?? defaultModelName());
    const png = await sharp(img, { raw: { width: 320, height: 192, channels: 3 } })
      .png()
      .toBuffer();
    return { rgba: rgba(new Uint8Array(img), 3), png, stream: r.bytes };
  } finally {
    await codec.close();
  }
}

beforeAll(async () => {
  env = await startWebEnv();
  browser = await launchChromium();
  const png = await sharp(small.data, { raw: { width: 96, height: 80, channels: 3 } })
    .png()
    .toBuffer();
  smallRgba = rgba(small.data, 3);
  // x.png's stream is the tiny fixture model's (stored beside it, served as is); the
  // backend encodes new uploads with the real default model.
  const tiny = await Codec.create({ modelsDir: join(ROOT, "test/fixtures/models") });
  const tinyStream = (await tiny.encode(small, { storedFallback: false })).bytes;
  await tiny.close();
  for (const key of ["photos/x.png", "photos/fallback.png"]) {
    await put(key, png, "image/png");
    await put(`${key}.l3c`, tinyStream, "image/vnd.l3c");
  }
  crop = await realModelCrop();
  fastCrop = await realModelCrop("l3c-fast-v2");
  for (const [name, c] of [
    ["crop", crop],
    ["crop-fast", fastCrop],
  ] as const) {
    await put(`photos/${name}.png`, c.png, "image/png");
    await put(`photos/${name}.png.l3c`, c.stream, "image/vnd.l3c"); // the edge serves a stored stream as is
  }
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

/**
 * A page on `origin` (the edge's unless told; the test page is a test asset) with `html`
 * in its body and the module imported from the edge.
 */
async function open(html: string, origin = env.url, init?: () => void): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  if (init) await page.addInitScript(init);
  const hash = new URLSearchParams({ html, module: `${env.url}/_l3c/l3c.js` });
  await page.goto(`${origin}/_l3c/test-page.html#${hash}`);
  return page;
}

async function settled(page: Page, selector: string): Promise<string> {
  await page.waitForFunction(
    (s) => ["l3c", "fallback", "error"].includes(document.querySelector(s)?.getAttribute("state") ?? ""),
    selector,
    { timeout: 60_000 },
  );
  return (await page.getAttribute(selector, "state")) ?? "";
}

describe("Chromium: <img> of every edge URL", () => {
  it("loads each variant and shows the original's pixels; the negotiated one is JPEG XL", async () => {
    const responses = new Map<string, { type: string; accept: string }>();
    const page = await browser.newPage();
    page.on("response", async (r) => {
      responses.set(new URL(r.url()).pathname + new URL(r.url()).search, {
        type: r.headers()["content-type"] ?? "",
        accept: (await r.request().allHeaders()).accept ?? "",
      });
    });
    const html = ["", "?codec=png", "?codec=webp", "?codec=avif", "?codec=jxl"]
      .map((q, i) => `<img id="v${i}" src="/images/photos/x.png${q}">`)
      .join("");
    await page.goto(`${env.url}/_l3c/test-page.html#${new URLSearchParams({ html })}`);
    await page.waitForFunction(
      () => document.images.length === 5 && Array.from(document.images).every((i) => i.complete),
    );
    for (let i = 0; i < 5; i++) {
      expect(await page.evaluate(pagePixels, [`#v${i}`, smallRgba] as [string, number[]])).toEqual({
        width: 96,
        height: 80,
        differing: 0,
        first: -1,
      });
    }
    const negotiated = responses.get("/images/photos/x.png")!;
    console.log(`Chromium ${browser.version()} <img> Accept: ${negotiated.accept}`);
    expect(negotiated.accept).toContain("image/*");
    // Chromium 156 names image/jxl: it gets lossless JPEG XL, decoded by Chromium itself above
    expect(negotiated.type).toBe("image/jxl");
    expect(responses.get("/images/photos/x.png?codec=avif")!.type).toBe("image/avif");
    await page.close();
  });

  it("a navigation to an image URL shows the image, not a download", async () => {
    const page = await browser.newPage();
    const r = await page.goto(`${env.url}/images/photos/x.png`);
    const accept = (await r!.request().allHeaders()).accept;
    console.log(`Chromium navigation Accept: ${accept}`);
    expect(r!.headers()["content-type"]).toBe(negotiatedFor(accept));
    expect(await page.evaluate(pagePixels, ["img", smallRgba] as [string, number[]])).toMatchObject({
      differing: 0,
    });
    await page.close();
  });
});

describe("Chromium: l3c decoded in the page", () => {
  it("<l3c-img> decodes with the tiny fixture model in Web Workers, pixels identical", async () => {
    const page = await open(`<l3c-img id="a" src="/images/photos/x.png" alt="x"></l3c-img>`);
    expect(await settled(page, "#a")).toBe("l3c");
    expect(await page.evaluate(pagePixels, ["#a", smallRgba] as [string, number[]])).toMatchObject({
      width: 96,
      differing: 0,
    });
    await page.close();
  });

  it.each([
    ["the real default model (models/default, two tiles)", "crop", () => crop],
    [
      "the fast model's stream (models/l3c-fast-v2: K = 3, narrower networks, no z1)",
      "crop-fast",
      () => fastCrop,
    ],
  ])("<l3c-img> decodes %s, pixels identical", async (_, name, expected) => {
    const page = await open(`<l3c-img id="c" src="/images/photos/${name}.png"></l3c-img>`);
    expect(await settled(page, "#c")).toBe("l3c");
    expect(await page.evaluate(pagePixels, ["#c", expected().rgba] as [string, number[]])).toEqual({
      width: 320,
      height: 192,
      differing: 0,
      first: -1,
    });
    await page.close();
  });

  it("<l3c-img> paints each tile's 1/8, 1/4, 1/2 image before load (preview events), then identical pixels", async () => {
    type Rec = {
      kind: string;
      state?: string;
      canvas?: number[];
      level?: number;
      step?: number;
      tile?: number;
      x?: number;
      y?: number;
      width?: number;
      height?: number;
      image?: number[];
      iw?: number;
      ih?: number;
    };
    const page = await open(`<l3c-img id="p" src="/images/photos/crop.png"></l3c-img>`, env.url, () => {
      const events: unknown[] = [];
      (globalThis as unknown as { previewEvents: unknown[] }).previewEvents = events;
      const el = (e: Event) => e.target as HTMLElement;
      document.addEventListener(
        "preview",
        (e) => {
          const d = (e as CustomEvent).detail;
          const c = el(e).shadowRoot?.querySelector("canvas");
          events.push({
            kind: "preview",
            state: el(e).getAttribute("state"),
            canvas: c ? [c.width, c.height] : [],
            ...d,
            image: d.step > 1 ? Array.from(d.image.data) : [],
            iw: d.image.width,
            ih: d.image.height,
          });
        },
        true,
      );
      document.addEventListener(
        "load",
        (e) => el(e).localName === "l3c-img" && events.push({ kind: "load" }),
        true,
      );
    });
    expect(await settled(page, "#p")).toBe("l3c");
    const events = (await page.evaluate(
      () => (globalThis as unknown as { previewEvents: unknown[] }).previewEvents,
    )) as Rec[];
    expect(events.at(-1)).toEqual({ kind: "load" });
    const previews = events.slice(0, -1);
    // Two tiles (256 x 192 and 64 x 192), each 1/8, 1/4, 1/2, then final, all while loading.
    for (const tile of [0, 1]) {
      const mine = previews.filter((e) => e.tile === tile);
      expect(mine.map((e) => e.level)).toEqual([3, 2, 1, 0]);
      for (const e of mine) {
        expect(e).toMatchObject({
          kind: "preview",
          state: "loading",
          canvas: [320, 192],
          step: 2 ** e.level!,
        });
        expect([e.iw, e.ih]).toEqual([Math.ceil(e.width! / e.step!), Math.ceil(e.height! / e.step!)]);
        // A coarse level holds the image's own pixels at multiples of its step (final values).
        if (e.step! > 1) {
          const want: number[] = [];
          for (let j = 0; j < e.ih!; j++)
            for (let i = 0; i < e.iw!; i++) {
              const o = ((e.y! + j * e.step!) * 320 + e.x! + i * e.step!) * 4;
              want.push(...crop.rgba.slice(o, o + 4));
            }
          expect(e.image).toEqual(want);
        }
      }
    }
    expect(previews).toHaveLength(8);
    expect(await page.evaluate(pagePixels, ["#p", crop.rgba] as [string, number[]])).toEqual({
      width: 320,
      height: 192,
      differing: 0,
      first: -1,
    });
    await page.close();
  });

  it("decodeL3cStream's onPreview: one worker shows every tile's 1/8 image before any 1/4, and so on", async () => {
    const page = await open("");
    await page.waitForFunction(() => "l3c" in globalThis);
    const r = await page.evaluate(async (bytes) => {
      const m = (globalThis as unknown as { l3c: typeof import("../../web/src/index.js") }).l3c;
      const order: number[][] = [];
      const d = await m.decodeL3cStream(Uint8Array.from(bytes), {
        workers: 1, // the page's first decode: its pool has one worker, holding both tiles
        onPreview: (image, info) => order.push([info.tile, info.level, image.width, image.height]),
      });
      return { order, data: Array.from(d.data) };
    }, Array.from(crop.stream));
    expect(r.order).toEqual([
      [0, 3, 32, 24],
      [1, 3, 8, 24],
      [0, 2, 64, 48],
      [1, 2, 16, 48],
      [0, 1, 128, 96],
      [1, 1, 32, 96],
      [0, 0, 256, 192],
      [1, 0, 64, 192],
    ]);
    expect(r.data).toEqual(crop.rgba);
    await page.close();
  });

  it("decodes through the float-exact graphs (graphForm) to identical pixels, and through the integer ones by default", async () => {
    const page = await open("");
    const graphs: string[] = [];
    page.context().on("request", (r) => {
      if (r.url().endsWith(".onnx")) graphs.push(new URL(r.url()).pathname.split("/").pop()!);
    });
    await page.waitForFunction(() => "l3c" in globalThis);
    const decode = (form: string | undefined) =>
      page.evaluate(
        async ([bytes, f]) => {
          const m = (globalThis as unknown as { l3c: typeof import("../../web/src/index.js") }).l3c;
          const d = await m.decodeL3cStream(Uint8Array.from(bytes as number[]), {
            ...(f ? { graphForm: f as "float-exact" } : {}),
          });
          return Array.from(d.data);
        },
        [Array.from(crop.stream), form] as const,
      );
    expect(await decode("float-exact")).toEqual(crop.rgba);
    const float = graphs.splice(0);
    expect(float.length).toBeGreaterThan(0);
    expect(float.every((f) => f.includes("-f32-"))).toBe(true);
    expect(await decode(undefined)).toEqual(crop.rgba);
    expect(graphs.length).toBeGreaterThan(0);
    expect(graphs.some((f) => f.includes("-f32-"))).toBe(false);
    await page.close();
  });

  it("checks the pixel CRCs: a stream whose tile CRC is wrong is refused (PIXEL_CHECKSUM)", async () => {
    const bad = crop.stream.slice();
    const dv = new DataView(bad.buffer);
    dv.setUint32(56 + 4, dv.getUint32(56 + 4, true) ^ 1, true); // tile 0's pixel CRC
    dv.setUint32(56 + 8 * 2, crc32(bad.subarray(0, 56 + 8 * 2)), true); // keep the header CRC valid
    const page = await open("");
    await page.waitForFunction(() => "l3c" in globalThis);
    const err = await page.evaluate(async (bytes) => {
      const m = (globalThis as unknown as { l3c: { decodeL3cStream(b: Uint8Array): Promise<ImageData> } })
        .l3c;
      try {
        await m.decodeL3cStream(Uint8Array.from(bytes));
        return "decoded";
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
    }, Array.from(bad));
    expect(err).toBe("PIXEL_CHECKSUM: decoded pixels do not match the stored checksum");
    await page.close();
  });

  it("<l3c-img> falls back to the negotiated URL when WebAssembly is unavailable", async () => {
    const page = await open(`<l3c-img id="f" src="/images/photos/fallback.png"></l3c-img>`, env.url, () => {
      // biome-ignore lint/suspicious/noExplicitAny: removing a global on purpose
      delete (globalThis as any).WebAssembly;
    });
    expect(await settled(page, "#f")).toBe("fallback");
    expect(await page.$eval("#f", (e) => (e as unknown as { fallbackReason: string }).fallbackReason)).toBe(
      "Web Workers or WebAssembly unavailable",
    );
    expect(await page.evaluate(pagePixels, ["#f", smallRgba] as [string, number[]])).toMatchObject({
      differing: 0,
    });
    await page.close();
  });

  it("<l3c-img> works on a page of another origin (CORS, worker started through a blob)", async () => {
    const other = env.url.replace("127.0.0.1", "localhost");
    const page = await open(`<l3c-img id="o" src="${env.url}/images/photos/x.png"></l3c-img>`, other);
    expect(new URL(page.url()).origin).toBe(other);
    expect(await settled(page, "#o")).toBe("l3c");
    const data = await page.$eval("#o", (e) =>
      Array.from((e as unknown as { imageData: ImageData }).imageData.data),
    );
    expect(data).toEqual(smallRgba);
    await page.close();
  });
});

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(err) : resolve({ stdout, stderr }),
    ),
  );
}

describe("curl and wget with their default Accept (*/*)", () => {
  it.each([
    [
      "curl",
      (url: string, out: string) => ["-sS", "-D", "-", "-o", out, url],
      (o: { stdout: string }) => o.stdout,
    ],
    ["wget", (url: string, out: string) => ["-q", "-S", "-O", out, url], (o: { stderr: string }) => o.stderr],
  ] as const)("%s gets WebP with the original's pixels", async (cmd, args, headersOf) => {
    const out = join(mkdtempSync(join(tmpdir(), "l3c-")), "x.png");
    const headers = headersOf(await run(cmd, args(`${env.url}/images/photos/x.png`, out)));
    expect(headers.toLowerCase()).toContain("content-type: image/webp");
    expect(headers.toLowerCase()).toContain("vary: accept");
    expect(new Uint8Array(await sharp(readFileSync(out)).raw().toBuffer())).toEqual(small.data);
  });

  it("curl gets the stream when it names image/vnd.l3c or asks ?codec=l3c", async () => {
    const dir = mkdtempSync(join(tmpdir(), "l3c-"));
    for (const [i, extra] of [
      ["-H", "Accept: image/vnd.l3c"],
      ["-G", "-d", "codec=l3c"],
    ].entries()) {
      const { stdout } = await run("curl", [
        "-sS",
        "-D",
        "-",
        "-o",
        join(dir, `${i}`),
        ...extra,
        `${env.url}/images/photos/x.png`,
      ]);
      expect(stdout.toLowerCase()).toContain("content-type: image/vnd.l3c");
      expect(readFileSync(join(dir, `${i}`)).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x4c, 0x33, 0x43]));
    }
  });
});

describe("Chromium: the demo page", () => {
  it("encodes an upload on the edge, charts the sizes (JPEG XL too), decodes l3c here: pixels identical; JPEG XL's decode time", async () => {
    const page = await browser.newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${env.url}/`);
    await page.setInputFiles("#file", { name: "crop.png", mimeType: "image/png", buffer: crop.png });
    await page.waitForSelector("#verdict[data-identical]", { timeout: 90_000 });
    expect(await page.getAttribute("#verdict", "data-identical")).toBe("true");
    const bars = await page.$$eval("#chart .bar", (els) =>
      els.map((e) => [(e as HTMLElement).dataset.codec, Number((e as HTMLElement).dataset.bytes)]),
    );
    expect(bars.map((b) => b[0])).toEqual([
      "l3c",
      "PNG",
      "WebP lossless",
      "AVIF lossless",
      "JPEG XL lossless",
    ]);
    for (const [, bytes] of bars) expect(bytes).toBeGreaterThan(0);
    // Decode times: l3c's here, and the JPEG XL file's by Chromium's own decoder (it has one).
    const times = await page.$$eval("#timing .num", (els) =>
      els.map((e) => [(e as HTMLElement).dataset.codec, (e as HTMLElement).dataset.ms, e.textContent]),
    );
    expect(times.map((t) => t[0])).toEqual(["l3c", "jxl"]);
    expect(times[0][1]).toBe(await page.getAttribute("#verdict", "data-decode-ms"));
    expect(times[1][1], `JPEG XL: ${times[1][2]}`).toMatch(/^\d+$/);
    console.log(
      `demo: ${await page.textContent("#verdict")} sizes ${JSON.stringify(bars)} decode ${JSON.stringify(times)}`,
    );
    await page.screenshot({ path: join(SHOTS, "demo.png"), fullPage: true });
    await page.close();
  });
});
