/**
 * The edge under load and faults, in workerd (Miniflare) against the real backend and a
 * real S3 server (versitygw): one key's variants are made once however many clients ask
 * at once (the KeyFlight Durable Object, counted by the backend's own metrics); a first
 * request is served from the original without waiting for the l3c encode, whose work is
 * kept; a hung store answers 504 in time; a conditional GET on a cold cache fills it; a
 * damaged stream is never served and is made again from the original; and the details:
 * 415 for a non-image, HEAD's ETag and Cache-Control, Range answered whole.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendCalls, startBackend, startBackendProxy } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startS3Server } from "../harness/s3-server.js";
import { BROWSER_ACCEPT } from "../helpers/browser-accept.js";
import { djxlPixels, isJxl } from "../helpers/jxl.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: Awaited<ReturnType<typeof startS3Server>>;
let backend: Awaited<ReturnType<typeof startBackend>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHROMIUM = Object.values(BROWSER_ACCEPT)[0];

const imageOf = (seed: number, w = 80, h = 64) => syntheticImage(w, h, 3, seed);
const pngOf = (img: ReturnType<typeof imageOf>) =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();

async function put(key: string, body: Uint8Array | string, metadata?: Record<string, string>) {
  return s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: body, Metadata: metadata }));
}

async function stored(key: string): Promise<{ body: Uint8Array; metadata: Record<string, string> } | null> {
  try {
    const o = await s3.client.send(new GetObjectCommand({ Bucket: "images", Key: key }));
    return { body: await o.Body!.transformToByteArray(), metadata: o.Metadata ?? {} };
  } catch {
    return null;
  }
}

/** Polls until `<key>` exists in the bucket (the background encode stored it). */
async function untilStored(key: string, ms = 30_000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100)) {
    const o = await stored(key);
    if (o) return o;
  }
  throw new Error(`${key} was never stored`);
}

async function pixels(r: { arrayBuffer(): Promise<ArrayBuffer> } | ArrayBuffer): Promise<Uint8Array> {
  const bytes = new Uint8Array(r instanceof ArrayBuffer ? r : await r.arrayBuffer());
  if (isJxl(bytes)) return djxlPixels(bytes);
  return new Uint8Array(await sharp(Buffer.from(bytes)).removeAlpha().raw().toBuffer());
}

/** Every answer's body, read at once as concurrent clients do (Miniflare drops bodies left unread). */
const bodies = (rs: Response[]) => Promise.all(rs.map((r) => r.arrayBuffer()));

async function withEdge<T>(
  bindings: Record<string, string>,
  f: (
    get: (path: string, headers?: Record<string, string>, method?: string) => Promise<Response>,
  ) => Promise<T>,
): Promise<T> {
  const edge: Miniflare = await startEdge({
    S3_ENDPOINT: s3.endpoint,
    BACKEND_URL: `http://127.0.0.1:${backend.port}`,
    ...bindings,
  });
  try {
    return await f(
      (path, headers = {}, method = "GET") =>
        edge.dispatchFetch(`http://edge.test${path}`, { headers, method }) as unknown as Promise<Response>,
    );
  } finally {
    await edge.dispose();
  }
}

beforeAll(async () => {
  s3 = await startS3Server();
  backend = await startBackend();
}, 120_000);

afterAll(async () => {
  await backend?.stop();
  await s3?.stop();
});

describe("edge: single flight per key", () => {
  it("50 concurrent GETs of an uncached key: one read-and-convert, one encode; 20 more of a cold variant: one decode", async () => {
    const img = imageOf(31);
    await put("herd.png", await pngOf(img));
    const calls = async () => ({
      encode: await backendCalls(backend.port, "/v1/encode"),
      convert: await backendCalls(backend.port, "/v1/convert"),
      decode: await backendCalls(backend.port, "/v1/decode"),
    });
    const before = await calls();
    await withEdge({}, async (get) => {
      const rs = await Promise.all(
        Array.from({ length: 50 }, () => get("/images/herd.png", { Accept: CHROMIUM })),
      );
      expect(rs.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(new Set(rs.map((r) => r.headers.get("content-type")))).toEqual(new Set(["image/jxl"]));
      for (const b of await bodies(rs)) expect(await pixels(b)).toEqual(img.data);
      await untilStored("herd.png.l3c");
      await sleep(300);
      // the stream is stored now: a variant nobody asked for yet is decoded from it, once
      const png = await Promise.all(
        Array.from({ length: 20 }, () => get("/images/herd.png", { Accept: "image/png" })),
      );
      expect(png.map((r) => r.status)).toEqual(Array(20).fill(200));
      for (const b of await bodies(png)) expect(await pixels(b)).toEqual(img.data);
    });
    const after = await calls();
    expect({
      encode: after.encode - before.encode,
      convert: after.convert - before.convert,
      decode: after.decode - before.decode,
    }).toEqual({ encode: 1, convert: 1, decode: 1 });
  }, 120_000);
});

describe("edge: a first request does not wait for the encode", () => {
  it("serves the original converted at once, keeps the slow encode's work, and answers l3c with 503 until it is done", async () => {
    const img = imageOf(32);
    await put("slow.png", await pngOf(img));
    const proxy = await startBackendProxy(backend.port, () => undefined, { encodeDelayMs: 4000 });
    const encodes = await backendCalls(backend.port, "/v1/encode");
    try {
      await withEdge({ BACKEND_URL: proxy.url, BACKEND_TIMEOUT_MS: "1000" }, async (get) => {
        const t0 = Date.now();
        const first = await get("/images/slow.png", { Accept: CHROMIUM });
        expect(first.status).toBe(200);
        expect(await pixels(first)).toEqual(img.data);
        expect(Date.now() - t0).toBeLessThan(3000); // the encode alone takes over 4 s
        // an l3c client waits BACKEND_TIMEOUT_MS, then is told to come back; the encode goes on
        const l3c = await get("/images/slow.png?codec=l3c");
        expect(l3c.status).toBe(503);
        expect(l3c.headers.get("retry-after")).toBe("10");
        expect(await l3c.json()).toEqual({
          error: { code: "ENCODING", message: "the l3c stream is still being encoded; ask again later" },
        });
        const kept = await untilStored("slow.png.l3c");
        const again = await get("/images/slow.png?codec=l3c");
        expect(again.status).toBe(200);
        expect(new Uint8Array(await again.arrayBuffer())).toEqual(kept.body);
      });
    } finally {
      proxy.close();
    }
    expect(await backendCalls(backend.port, "/v1/encode")).toBe(encodes + 1);
  }, 60_000);
});

describe("edge: a hung store", () => {
  it("answers 504 within ORIGIN_TIMEOUT_MS for GET, ?info and HEAD", async () => {
    await put("hang.png", await pngOf(imageOf(33)));
    await withEdge({ ORIGIN_TIMEOUT_MS: "1000" }, async (get) => {
      s3.pause();
      try {
        for (const [path, method] of [
          ["/images/hang.png", "GET"],
          ["/images/hang.png?info", "GET"],
          ["/images/hang.png", "HEAD"],
        ]) {
          const t0 = Date.now();
          const r = await get(path, { Accept: CHROMIUM }, method);
          expect(r.status, `${method} ${path}`).toBe(504);
          expect(Date.now() - t0).toBeLessThan(4000);
          if (method === "GET")
            expect(await r.json()).toEqual({
              error: { code: "ORIGIN_TIMEOUT", message: "origin read timed out after 1000 ms" },
            });
        }
      } finally {
        s3.resume();
      }
    });
  }, 60_000);
});

describe("edge: conditional requests and HEAD", () => {
  it("HEAD sends the ETag and Cache-Control of GET; a 304 on a cold cache fills it", async () => {
    const img = imageOf(34);
    await put("cond.png", await pngOf(img));
    await withEdge({}, async (get) => {
      await (await get("/images/cond.png?codec=l3c")).arrayBuffer();
      await untilStored("cond.png.l3c");
    });
    // a new edge: a cold cache and a new flight
    await withEdge({}, async (get) => {
      const head = await get("/images/cond.png", { Accept: "image/webp" }, "HEAD");
      expect(head.status).toBe(200);
      expect(head.headers.get("cache-control")).toBe("public, max-age=3600");
      const etag = head.headers.get("etag")!;
      expect(etag).toMatch(/^W\/"webp-[0-9a-f]{32}"$/);
      const l3cHead = await get("/images/cond.png?codec=l3c", {}, "HEAD");
      const decodes = await backendCalls(backend.port, "/v1/decode");
      const cond = await get("/images/cond.png", { Accept: "image/webp", "If-None-Match": etag });
      expect(cond.status).toBe(304);
      expect(cond.headers.get("etag")).toBe(etag);
      await sleep(300);
      const full = await get("/images/cond.png", { Accept: "image/webp" });
      expect(full.headers.get("x-cache")).toBe("HIT");
      expect(full.headers.get("etag")).toBe(etag);
      expect(await pixels(full)).toEqual(img.data);
      const again = await get("/images/cond.png", { Accept: "image/webp", "If-None-Match": etag });
      expect(again.status).toBe(304);
      expect(await backendCalls(backend.port, "/v1/decode")).toBe(decodes + 1);
      const l3c = await get("/images/cond.png?codec=l3c");
      expect(l3c.headers.get("etag")).toBe(l3cHead.headers.get("etag"));
      await l3c.arrayBuffer();
    });
  }, 60_000);

  it("a key not yet encoded: HEAD's ETag is the one its first GET sends", async () => {
    await put("fresh-head.png", await pngOf(imageOf(35)));
    await withEdge({}, async (get) => {
      const head = await get("/images/fresh-head.png", { Accept: "image/webp" }, "HEAD");
      const r = await get("/images/fresh-head.png", { Accept: "image/webp" });
      expect(r.headers.get("etag")).toBe(head.headers.get("etag"));
      await r.arrayBuffer();
      await untilStored("fresh-head.png.l3c");
    });
  }, 60_000);

  it("Range is not served: 200 with the whole image and Accept-Ranges: none", async () => {
    const img = imageOf(36);
    await put("range.png", await pngOf(img));
    await withEdge({}, async (get) => {
      const r = await get("/images/range.png", { Accept: "image/webp", Range: "bytes=0-99" });
      expect(r.status).toBe(200);
      expect(r.headers.get("accept-ranges")).toBe("none");
      expect(await pixels(r)).toEqual(img.data);
      await untilStored("range.png.l3c");
    });
  }, 60_000);
});

describe("edge: a damaged stored stream", () => {
  /** A good stream of `key`, stored with its metadata, then damaged in its tile payload. */
  async function damage(key: string, keepDigest: boolean) {
    const img = imageOf(40 + key.length);
    await put(key, await pngOf(img));
    await withEdge({}, async (get) => {
      await (await get(`/images/${key}?codec=l3c`)).arrayBuffer();
    });
    const good = await untilStored(`${key}.l3c`);
    const bad = good.body.slice();
    bad[bad.length - 20] ^= 0x5a;
    const metadata = { ...good.metadata };
    if (!keepDigest) delete metadata["l3c-sha256"];
    await s3.client.send(new DeleteObjectCommand({ Bucket: "images", Key: `${key}.l3c` }));
    await put(`${key}.l3c`, bad, metadata);
    return { img, good: good.body };
  }

  it.each([
    ["with its digest", true],
    ["without a digest (an older writer)", false],
  ])(
    "%s: never served; the original is served and encoded again",
    async (_, keepDigest) => {
      const key = keepDigest ? "dmg-a.png" : "dmg-bb.png";
      const { img } = await damage(key, keepDigest as boolean);
      await withEdge({}, async (get) => {
        const r = await get(`/images/${key}`, { Accept: CHROMIUM });
        expect(r.status).toBe(200);
        expect(await pixels(r)).toEqual(img.data);
        const l3c = await get(`/images/${key}?codec=l3c`);
        expect(l3c.status).toBe(200);
        const stream = new Uint8Array(await l3c.arrayBuffer());
        // what was served is what replaced the damaged stream, and it decodes to the image
        await sleep(500);
        expect((await stored(`${key}.l3c`))!.body).toEqual(stream);
        const png = await get(`/images/${key}`, { Accept: "image/png" });
        expect(await pixels(png)).toEqual(img.data);
      });
    },
    60_000,
  );

  it("with the original gone: 502, never cached, for every variant", async () => {
    await damage("dmg-gone.png", true);
    await s3.client.send(new DeleteObjectCommand({ Bucket: "images", Key: "dmg-gone.png" }));
    await withEdge({}, async (get) => {
      for (const q of ["", "?codec=l3c", "?codec=png"]) {
        const r = await get(`/images/dmg-gone.png${q}`, { Accept: CHROMIUM });
        expect(r.status).toBe(502);
        expect(r.headers.get("cache-control")).toBe("no-store");
        expect(await r.json()).toEqual({
          error: { code: "CORRUPT_STREAM", message: "the stored stream is damaged and the original is gone" },
        });
      }
    });
  }, 60_000);
});

describe("edge: JPEG XL", () => {
  it.each([
    [
      "without the backend's attestation",
      (_: Buffer, h: Record<string, string>) => delete h["x-l3c-verified"],
    ],
    [
      "altered in transit",
      (b: Buffer, h: Record<string, string>) => {
        if (h["content-type"] === "image/jxl") b[b.length - 5] ^= 0x20;
      },
    ],
  ])(
    "a JPEG XL answer %s is never served (502, not cached); WebP still is",
    async (_, rewrite) => {
      const img = imageOf(37);
      await put("jxl-bad.png", await pngOf(img));
      const proxy = await startBackendProxy(backend.port, rewrite, { routes: ["/v1/convert", "/v1/decode"] });
      try {
        await withEdge({ BACKEND_URL: proxy.url }, async (get) => {
          const r = await get("/images/jxl-bad.png", { Accept: CHROMIUM });
          expect(r.status).toBe(502);
          expect(r.headers.get("cache-control")).toBe("no-store");
          expect((await r.json()).error.code).toBe("BACKEND");
          const again = await get("/images/jxl-bad.png", { Accept: CHROMIUM });
          expect(again.status).toBe(502);
          expect(again.headers.get("x-cache")).toBeNull();
          await again.arrayBuffer();
          const webp = await get("/images/jxl-bad.png", { Accept: BROWSER_ACCEPT["Firefox <img>"] });
          expect(webp.headers.get("content-type")).toBe("image/webp");
          expect(await pixels(webp)).toEqual(img.data);
          await untilStored("jxl-bad.png.l3c");
        });
      } finally {
        proxy.close();
      }
      await s3.client.send(new DeleteObjectCommand({ Bucket: "images", Key: "jxl-bad.png.l3c" }));
    },
    60_000,
  );
});

describe("edge: what a client is told", () => {
  it("a non-image object under an image key is 415, in plain words", async () => {
    await put("text.png", "this is not a picture");
    await withEdge({}, async (get) => {
      const r = await get("/images/text.png", { Accept: CHROMIUM });
      expect(r.status).toBe(415);
      expect(await r.json()).toEqual({
        error: { code: "NOT_AN_IMAGE", message: "the object is not an image this service can read" },
      });
      const l3c = await get("/images/text.png?codec=l3c");
      expect(l3c.status).toBe(415);
      await l3c.arrayBuffer();
    });
    expect(
      await s3.client
        .send(new HeadObjectCommand({ Bucket: "images", Key: "text.png.l3c" }))
        .catch(() => null),
    ).toBeNull();
  }, 60_000);
});
