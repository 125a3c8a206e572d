/**
 * The edge Worker in workerd (Miniflare) against a real backend and a real S3-compatible
 * server on loopback: negotiation, encode-on-first-request and storage, cache hit/miss,
 * 304, Vary, HEAD/?info without a backend call, errors, path traversal, the origin
 * allow-list and cache-poisoning attempts.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Codec } from "../../node-codec/src/codec.js";
import { backendCalls, startBackend } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startS3Server } from "../harness/s3-server.js";
import { BROWSER_ACCEPT, negotiatedFor } from "../helpers/browser-accept.js";
import { djxlPixels } from "../helpers/jxl.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: Awaited<ReturnType<typeof startS3Server>>;
let backend: Awaited<ReturnType<typeof startBackend>>;
let edge: Miniflare;
const img = syntheticImage(96, 80, 3, 11);
let png: Buffer;

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  edge.dispatchFetch(`http://edge.test${path}`, { headers, method });
const settle = () => new Promise((r) => setTimeout(r, 300)); // let waitUntil work finish

beforeAll(async () => {
  s3 = await startS3Server();
  backend = await startBackend();
  edge = await startEdge({ S3_ENDPOINT: s3.endpoint, BACKEND_URL: `http://127.0.0.1:${backend.port}` });
  png = await sharp(img.data, { raw: { width: 96, height: 80, channels: 3 } })
    .png()
    .toBuffer();
  for (const key of ["a.png", "dir/b.png", "c.png", "d.png", "secret/x.png"]) {
    await s3.client.send(
      new PutObjectCommand({ Bucket: "images", Key: key, Body: png, ContentType: "image/png" }),
    );
  }
  await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: "notes.txt", Body: "hi" }));
}, 120_000);

afterAll(async () => {
  await edge?.dispose();
  await backend?.stop();
  await s3?.stop();
});

async function pixels(res: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(Buffer.from(await res.arrayBuffer()))
      .raw()
      .toBuffer(),
  );
}

describe("edge: negotiation and encode on first request", () => {
  it("encodes through the backend, stores <key>.l3c and serves the stream for ?codec=l3c", async () => {
    const r = await get("/images/a.png?codec=l3c");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/vnd.l3c");
    expect(r.headers.get("vary")).toBe("Accept");
    const stream = new Uint8Array(await r.arrayBuffer());
    await settle();
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: "images", Key: "a.png.l3c" }));
    expect(new Uint8Array(await stored.Body!.transformToByteArray())).toEqual(stream);
    expect(stored.Metadata?.["l3c-model"]).toMatch(/^[0-9a-f]{64}$/);
    const codec = await Codec.create({
      modelsDir: new URL("../fixtures/models", import.meta.url).pathname,
    });
    expect((await codec.decode(stream)).data).toEqual(img.data);
    await codec.close();
  });

  it.each([
    ["image/vnd.l3c", "image/vnd.l3c"],
    ["image/avif", "image/avif"],
    ["image/webp,image/png;q=0.5", "image/webp"],
    ["image/png", "image/png"],
    ["image/*;q=0.9, image/vnd.l3c;q=0", "image/webp"],
    ["image/*", "image/webp"],
    ["*/*", "image/webp"],
    ["image/jxl", "image/jxl"],
    ...Object.entries(BROWSER_ACCEPT).map(([, accept]): [string, string] => [accept, negotiatedFor(accept)]),
  ])("Accept %s -> %s, lossless", async (accept, type) => {
    const r = await get("/images/dir/b.png", { Accept: accept });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe(type);
    expect(r.headers.get("vary")).toBe("Accept");
    if (type === "image/jxl")
      expect(await djxlPixels(new Uint8Array(await r.arrayBuffer()))).toEqual(img.data);
    else if (type !== "image/vnd.l3c") expect(await pixels(r)).toEqual(img.data);
    else await r.arrayBuffer();
  });

  it("serves a request without Accept WebP, never the stream", async () => {
    const r = await edge.dispatchFetch("http://edge.test/images/dir/b.png");
    expect(r.headers.get("content-type")).toBe("image/webp");
    expect(await pixels(r)).toEqual(img.data);
  });

  it.each([
    ["png", "image/png"],
    ["webp", "image/webp"],
    ["avif", "image/avif"],
  ])("?codec=%s forces %s whatever the Accept", async (codec, type) => {
    const r = await get(`/images/dir/b.png?codec=${codec}`, { Accept: "image/vnd.l3c" });
    expect(r.headers.get("content-type")).toBe(type);
    expect(await pixels(r)).toEqual(img.data);
  });

  it("answers 406 when nothing acceptable is offered, 400 for an unknown codec", async () => {
    const r = await get("/images/a.png", { Accept: "text/html" });
    expect(r.status).toBe(406);
    expect(r.headers.get("vary")).toBe("Accept");
    await r.arrayBuffer();
    const bad = await get("/images/a.png?codec=jpeg");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: "BAD_CODEC",
        message: "Expected one of l3c, jxl, webp, avif, png for codec but received jpeg of type string",
      },
    });
  });
});

describe("edge: caching", () => {
  it("a miss then a hit; the hit calls neither backend route", async () => {
    const first = await get("/images/c.png", { Accept: "image/webp" });
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(first.headers.get("cache-control")).toBe("public, max-age=3600");
    const etag = first.headers.get("etag")!;
    await first.arrayBuffer();
    await settle();
    const enc = await backendCalls(backend.port, "/v1/encode");
    const dec = await backendCalls(backend.port, "/v1/decode");
    const hit = await get("/images/c.png", { Accept: "image/webp" });
    expect(hit.status).toBe(200);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(hit.headers.get("etag")).toBe(etag);
    expect(await pixels(hit)).toEqual(img.data);
    const notModified = await get("/images/c.png", { Accept: "image/webp", "If-None-Match": etag });
    expect(notModified.status).toBe(304);
    expect(await backendCalls(backend.port, "/v1/encode")).toBe(enc);
    expect(await backendCalls(backend.port, "/v1/decode")).toBe(dec);
  });

  it("keys the cache by negotiated variant only (no poisoning through other headers)", async () => {
    const a = await get("/images/d.png?junk=1", { Accept: "image/png", "X-Forwarded-Host": "evil.example" });
    expect(a.headers.get("content-type")).toBe("image/png");
    await a.arrayBuffer();
    await settle();
    const b = await get("/images/d.png", { Accept: "image/webp", Host: "evil.example" });
    expect(b.headers.get("content-type")).toBe("image/webp");
    await b.arrayBuffer();
    await settle();
    const c = await get("/images/d.png?other=2", { Accept: "image/png" });
    expect(c.headers.get("x-cache")).toBe("HIT");
    expect(c.headers.get("content-type")).toBe("image/png");
    await c.arrayBuffer();
  });

  it("does not cache private requests or errors", async () => {
    const p = await get("/images/d.png", { Accept: "image/avif", Authorization: "Bearer x" });
    expect(p.status).toBe(200);
    expect(p.headers.get("cache-control")).toBe("private, no-store");
    await p.arrayBuffer();
    await settle();
    const again = await get("/images/d.png", { Accept: "image/avif" });
    expect(again.headers.get("x-cache")).toBe("MISS");
    await again.arrayBuffer();
    const missing = await get("/images/nope.png");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBe("no-store");
  });
});

describe("edge: HEAD and ?info without the backend", () => {
  it("answers from the stream header", async () => {
    await (await get("/images/a.png?codec=l3c")).arrayBuffer();
    await settle();
    const enc = await backendCalls(backend.port, "/v1/encode");
    const dec = await backendCalls(backend.port, "/v1/decode");
    const h = await get("/images/a.png?codec=l3c", {}, "HEAD");
    expect(h.status).toBe(200);
    expect(h.headers.get("x-l3c-width")).toBe("96");
    const stored = await s3.client.send(new HeadObjectCommand({ Bucket: "images", Key: "a.png.l3c" }));
    expect(Number(h.headers.get("content-length"))).toBe(stored.ContentLength);
    const info = await (await get("/images/a.png?info")).json();
    expect(info).toMatchObject({ width: 96, height: 80, layout: "rgb8", tiles: 1 });
    expect(await backendCalls(backend.port, "/v1/encode")).toBe(enc);
    expect(await backendCalls(backend.port, "/v1/decode")).toBe(dec);
  });
});

describe("edge: hostile paths and the origin allow-list", () => {
  it.each([
    // URL parsing resolves dot segments (also %2e%2e) before the Worker sees the path:
    // what remains must still pass the bucket allow-list.
    ["/images/../other/a.png", 403],
    ["/images/%2e%2e/secret/x.png", 403],
    ["/images/.%2e/secret/x.png", 403],
    ["/images//a.png", 400],
    ["/images/dir%5cb.png", 400],
    ["/images/a.png%00.png", 400],
    ["/other/a.png", 403],
    ["/images/notes.txt", 403],
    ["/http:/evil.example/a.png", 403],
    ["/images/%ZZ.png", 400],
    ["/images", 404],
  ])("%s -> %i", async (path, status) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    await r.arrayBuffer();
  });
});

describe("edge: backend failures", () => {
  it("maps an unreachable backend to 503 with Retry-After and a bad credential to 502", async () => {
    const down = await startEdge({ S3_ENDPOINT: s3.endpoint, BACKEND_URL: "http://127.0.0.1:9" });
    try {
      await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: "e.png", Body: png }));
      const r = await down.dispatchFetch("http://edge.test/images/e.png", {
        headers: { Accept: "image/png" },
      });
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("5");
    } finally {
      await down.dispose();
    }
    const wrong = await startEdge({
      S3_ENDPOINT: s3.endpoint,
      BACKEND_URL: `http://127.0.0.1:${backend.port}`,
      BACKEND_TOKEN: "wrong-token-0123456789",
    });
    try {
      const r = await wrong.dispatchFetch("http://edge.test/images/e.png", {
        headers: { Accept: "image/png" },
      });
      expect(r.status).toBe(502);
    } finally {
      await wrong.dispose();
    }
  });

  it("refuses to start work with a bad configuration (500 naming the variable)", async () => {
    const bad = await startEdge({ S3_ENDPOINT: s3.endpoint, BACKEND_URL: "not a url" });
    try {
      const r = await bad.dispatchFetch("http://edge.test/images/a.png");
      expect(r.status).toBe(500);
      expect(await r.text()).toContain("BACKEND_URL");
    } finally {
      await bad.dispose();
    }
  });
});
