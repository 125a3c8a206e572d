/**
 * What the edge stores when it encodes on first request, against the real S3 server
 * (versitygw) and the real backend: only streams the backend attests it verified
 * (shared/http/attestation.ts), with `If-None-Match: *`, so concurrent first requests
 * write once and a stream stored by the hook is never overwritten; a backend answer that
 * does not match its Content-Digest is an error, neither served nor stored; a stream
 * whose original was overwritten is encoded again and replaced (HEAD and ?info say it is
 * stale until then), and a stream whose original is gone is still served.
 */
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendCalls, startBackend, startBackendProxy } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startS3Server } from "../harness/s3-server.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: Awaited<ReturnType<typeof startS3Server>>;
let backend: Awaited<ReturnType<typeof startBackend>>;
let png: Buffer;
/** Let waitUntil work finish (a store that should not happen gets a full second). */
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

const exists = (key: string) =>
  s3.client.send(new HeadObjectCommand({ Bucket: "images", Key: key })).then(
    () => true,
    () => false,
  );

async function withEdge<T>(backendUrl: string, f: (edge: Miniflare) => Promise<T>): Promise<T> {
  const edge = await startEdge({ S3_ENDPOINT: s3.endpoint, BACKEND_URL: backendUrl });
  try {
    return await f(edge);
  } finally {
    await edge.dispose();
  }
}

const fetchL3c = (edge: Miniflare, key: string) =>
  edge.dispatchFetch(`http://edge.test/images/${key}?codec=l3c`);

const pngOf = (seed: number) => {
  const img = syntheticImage(64, 48, 3, seed);
  return sharp(img.data, { raw: { width: 64, height: 48, channels: 3 } })
    .png()
    .toBuffer();
};

/** The pixels a PNG answer shows. */
const pixelsOf = async (r: { arrayBuffer(): Promise<ArrayBuffer> }) =>
  Buffer.from(
    await sharp(Buffer.from(await r.arrayBuffer()))
      .removeAlpha()
      .raw()
      .toBuffer(),
  );

const headL3c = (key: string) =>
  s3.client.send(new HeadObjectCommand({ Bucket: "images", Key: `${key}.l3c` }));

beforeAll(async () => {
  s3 = await startS3Server({ accessLog: true });
  backend = await startBackend();
  png = await pngOf(21);
  for (const key of ["once.png", "unverified.png", "corrupt.png"])
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: png }));
}, 120_000);

afterAll(async () => {
  await backend?.stop();
  await s3?.stop();
});

describe("edge: storing encoded streams", () => {
  it("concurrent first requests through one edge encode and store once (the key's flight)", async () => {
    const writes = () =>
      s3.accessLog().filter((e) => e.operation === "PutObject" && e.key === "once.png.l3c");
    const encodes = await backendCalls(backend.port, "/v1/encode");
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      const rs = await Promise.all([fetchL3c(edge, "once.png"), fetchL3c(edge, "once.png")]);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
      await Promise.all(rs.map((r) => r.arrayBuffer()));
      for (let i = 0; i < 100 && writes().length < 1; i++) await settle();
      await settle(1000);
    });
    expect(writes().map((e) => e.status)).toEqual([200]);
    expect(await backendCalls(backend.port, "/v1/encode")).toBe(encodes + 1);
  });

  it("two edges (two flights, as an edge and a hook can be) store once: If-None-Match: *", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: "twice.png", Body: png }));
    const writes = () =>
      s3.accessLog().filter((e) => e.operation === "PutObject" && e.key === "twice.png.l3c");
    // Both encodes wait at the backend until both edges have asked for one, so that both
    // edges found no stream first. Left to the clock, an edge that starts late on a loaded
    // machine finds the other's stream already stored, serves it and writes nothing.
    const proxy = await startFaultProxy(backend.port);
    const encode = /^POST \/v1\/encode/;
    const held = Promise.all([proxy.holdNext(encode), proxy.holdNext(encode)]);
    try {
      await withEdge(proxy.endpoint, (a) =>
        withEdge(proxy.endpoint, async (b) => {
          const asked = Promise.all([fetchL3c(a, "twice.png"), fetchL3c(b, "twice.png")]);
          for (const h of await held) h.release();
          const rs = await asked;
          expect(rs.map((r) => r.status)).toEqual([200, 200]);
          await Promise.all(rs.map((r) => r.arrayBuffer()));
          for (let i = 0; i < 100 && writes().length < 2; i++) await settle();
        }),
      );
    } finally {
      await proxy.close();
    }
    // the server let one write in
    expect(
      writes()
        .map((e) => e.status)
        .sort(),
    ).toEqual([200, 412]);
  });

  it("an answer without the backend's attestation is served but never stored", async () => {
    const proxy = await startBackendProxy(backend.port, (_, h) => {
      delete h["x-l3c-verified"];
    });
    try {
      await withEdge(proxy.url, async (edge) => {
        const r = await fetchL3c(edge, "unverified.png");
        expect(r.status).toBe(200);
        expect(r.headers.get("content-type")).toBe("image/vnd.l3c");
        await r.arrayBuffer();
        await settle(1000);
      });
      expect(await exists("unverified.png.l3c")).toBe(false);
    } finally {
      proxy.close();
    }
  });

  it("an answer that does not match its Content-Digest is a 502, neither served nor stored", async () => {
    const proxy = await startBackendProxy(backend.port, (body) => {
      body[body.length - 7] ^= 0x10;
    });
    try {
      await withEdge(proxy.url, async (edge) => {
        const r = await fetchL3c(edge, "corrupt.png");
        expect(r.status).toBe(502);
        expect(await r.json()).toEqual({
          error: { code: "BACKEND", message: "the image service's answer was damaged in transit" },
        });
        await settle(1000);
      });
      expect(await exists("corrupt.png.l3c")).toBe(false);
    } finally {
      proxy.close();
    }
  });

  it("a stream whose original was overwritten is encoded again and replaces it", async () => {
    const key = "changed.png";
    const put = (body: Buffer) =>
      s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: body }));
    await put(await pngOf(5));
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      await (await fetchL3c(edge, key)).arrayBuffer();
      for (let i = 0; i < 50 && !(await exists(`${key}.l3c`)); i++) await settle();
    });
    const first = await headL3c(key);
    const newer = await pngOf(6);
    await put(newer);
    const want = await sharp(newer).raw().toBuffer();
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      const r = await edge.dispatchFetch(`http://edge.test/images/${key}?codec=png`);
      expect(r.status).toBe(200);
      expect((await pixelsOf(r)).equals(want)).toBe(true);
      for (let i = 0; i < 50 && (await headL3c(key)).ETag === first.ETag; i++) await settle();
    });
    const now = await headL3c(key);
    expect(now.ETag).not.toBe(first.ETag);
    const orig = await s3.client.send(new HeadObjectCommand({ Bucket: "images", Key: key }));
    expect(now.Metadata?.["source-etag"]).toBe(orig.ETag);
  });

  it("HEAD and ?info tell a stale stream: no dimensions of the old original, stale: true until a GET replaces it", async () => {
    const key = "resized.png";
    const sized = (w: number, h: number) => {
      const img = syntheticImage(w, h, 3, 9);
      return sharp(img.data, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toBuffer();
    };
    const put = async (body: Buffer) =>
      s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: body }));
    const info = async (edge: Miniflare) =>
      (await (await edge.dispatchFetch(`http://edge.test/images/${key}?info`)).json()) as {
        width: number;
        stale: boolean;
      };
    const head = (edge: Miniflare) =>
      edge.dispatchFetch(`http://edge.test/images/${key}`, { method: "HEAD" });
    await put(await sized(64, 48));
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      await (await fetchL3c(edge, key)).arrayBuffer();
      for (let i = 0; i < 50 && !(await exists(`${key}.l3c`)); i++) await settle();
      expect(await info(edge)).toMatchObject({ width: 64, stale: false });
      expect((await head(edge)).headers.get("X-L3C-Width")).toBe("64");
    });
    const first = await headL3c(key);
    await put(await sized(40, 24));
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      expect(await info(edge)).toMatchObject({ width: 64, stale: true });
      const h = await head(edge);
      expect(h.status).toBe(200);
      expect(h.headers.get("X-L3C-Width")).toBeNull();
      expect(h.headers.get("Content-Length")).toBeNull();
      const r = await fetchL3c(edge, key);
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      for (let i = 0; i < 50 && (await headL3c(key)).ETag === first.ETag; i++) await settle();
      expect(await info(edge)).toMatchObject({ width: 40, stale: false });
      expect((await head(edge)).headers.get("X-L3C-Width")).toBe("40");
    });
  });

  it("a stream whose original is gone is still served (it may be the only copy)", async () => {
    const key = "only-copy.png";
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: png }));
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      await (await fetchL3c(edge, key)).arrayBuffer();
      for (let i = 0; i < 50 && !(await exists(`${key}.l3c`)); i++) await settle();
    });
    await s3.client.send(new DeleteObjectCommand({ Bucket: "images", Key: key }));
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      const r = await edge.dispatchFetch(`http://edge.test/images/${key}?codec=png`);
      expect(r.status).toBe(200);
      expect((await pixelsOf(r)).equals(await sharp(png).raw().toBuffer())).toBe(true);
    });
  });
});
