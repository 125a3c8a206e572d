/**
 * What the edge stores when it encodes on first request, against the real S3 server
 * (versitygw) and the real backend: only streams the backend attests it verified
 * (shared/http/attestation.ts), with `If-None-Match: *`, so concurrent first requests
 * write once and a stream stored by the hook is never overwritten; a backend answer that
 * does not match its Content-Digest is an error, neither served nor stored.
 */
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, startBackendProxy } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
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

beforeAll(async () => {
  s3 = await startS3Server({ accessLog: true });
  backend = await startBackend();
  const img = syntheticImage(64, 48, 3, 21);
  png = await sharp(img.data, { raw: { width: 64, height: 48, channels: 3 } })
    .png()
    .toBuffer();
  for (const key of ["once.png", "unverified.png", "corrupt.png"])
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: png }));
}, 120_000);

afterAll(async () => {
  await backend?.stop();
  await s3?.stop();
});

describe("edge: storing encoded streams", () => {
  it("concurrent first requests store the stream once (If-None-Match: *)", async () => {
    const writes = () =>
      s3.accessLog().filter((e) => e.operation === "PutObject" && e.key === "once.png.l3c");
    await withEdge(`http://127.0.0.1:${backend.port}`, async (edge) => {
      const rs = await Promise.all([fetchL3c(edge, "once.png"), fetchL3c(edge, "once.png")]);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
      await Promise.all(rs.map((r) => r.arrayBuffer()));
      // both missed and encoded (waitUntil stores after the answer): wait for both writes
      for (let i = 0; i < 100 && writes().length < 2; i++) await settle();
    });
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
        expect(await r.text()).toContain("Content-Digest");
        await settle(1000);
      });
      expect(await exists("corrupt.png.l3c")).toBe(false);
    } finally {
      proxy.close();
    }
  });
});
