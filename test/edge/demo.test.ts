/**
 * The demo API in workerd: off unless DEMO=on, refused without its rate limiter, limits
 * checked before any backend work (bytes, then pixels from the header), the per-client
 * rate limit, and an answer whose stream decodes to the upload's pixels.
 */
import type { Miniflare } from "miniflare";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Codec } from "../../node-codec/src/codec.js";
import { backendCalls, startBackend } from "../harness/backend.js";
import { startEdge } from "../harness/edge.js";
import { startS3Server } from "../harness/s3-server.js";
import { djxlPixels } from "../helpers/jxl.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: Awaited<ReturnType<typeof startS3Server>>;
let backend: Awaited<ReturnType<typeof startBackend>>;
const img = syntheticImage(96, 80, 3, 3);
let png: Buffer;
let flat: Buffer; // 200 x 200: few bytes, many pixels

const post = (mf: Miniflare, body: Uint8Array | string, headers: Record<string, string> = {}) =>
  mf.dispatchFetch("http://edge.test/_l3c/demo/encode", { method: "POST", body, headers });

async function withEdge(
  bindings: Record<string, string>,
  limit: number | null,
  fn: (mf: Miniflare) => Promise<void>,
) {
  const mf = await startEdge(
    { S3_ENDPOINT: s3.endpoint, BACKEND_URL: `http://127.0.0.1:${backend.port}`, ...bindings },
    limit === null
      ? {}
      : { ratelimits: { DEMO_RATE_LIMITER: { namespace_id: "1001", simple: { limit, period: 60 } } } },
  );
  try {
    await fn(mf);
  } finally {
    await mf.dispose();
  }
}

beforeAll(async () => {
  s3 = await startS3Server();
  backend = await startBackend();
  png = await sharp(img.data, { raw: { width: 96, height: 80, channels: 3 } })
    .png()
    .toBuffer();
  flat = await sharp({ create: { width: 200, height: 200, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
}, 120_000);

afterAll(async () => {
  await backend?.stop();
  s3?.stop();
});

describe("edge demo: off by default", () => {
  it("answers 404 for the page and the upload when DEMO is not on", async () => {
    await withEdge({}, null, async (mf) => {
      for (const [path, method] of [
        ["/", "GET"],
        ["/_l3c/demo.html", "GET"],
        ["/_l3c/demo/encode", "POST"],
      ]) {
        const r = await mf.dispatchFetch(`http://edge.test${path}`, {
          method,
          body: method === "POST" ? png : null,
        });
        expect(r.status, path).toBe(404);
        await r.arrayBuffer();
      }
    });
  });

  it.each([
    [{ DEMO: "yes" }, 1, "Expected one of on, off for DEMO but received yes of type string"],
    [{ DEMO: "on" }, null, "DEMO=on needs the DEMO_RATE_LIMITER rate-limiting binding"],
    [
      { DEMO: "on", DEMO_MAX_PIXELS: "0" },
      1,
      "Expected integer between 1 and 16000000 for DEMO_MAX_PIXELS but received 0 of type number",
    ],
  ])("a bad demo setting %j is a 500 naming it", async (bindings, limit, message) => {
    await withEdge(bindings, limit, async (mf) => {
      const r = await mf.dispatchFetch("http://edge.test/images/a.png");
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: { message: string } }).error.message).toBe(message);
    });
  });
});

describe("edge demo: on", () => {
  it("checks bytes and pixels before the backend, rate-limits per client, and encodes", async () => {
    const limits = { DEMO: "on", DEMO_MAX_BYTES: String(png.length + 100), DEMO_MAX_PIXELS: "10000" };
    await withEdge(limits, 4, async (mf) => {
      const enc = await backendCalls(backend.port, "/v1/encode");
      const tooBig = await post(mf, new Uint8Array(png.length + 101));
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toEqual({
        error: { code: "LIMIT_EXCEEDED", message: `Expected at most ${png.length + 100} bytes of image` },
      });
      const text = await post(mf, "hello");
      expect(text.status).toBe(415);
      expect(((await text.json()) as { error: { message: string } }).error.message).toBe(
        "Expected a PNG, JPEG or WebP: not a PNG, JPEG or WebP",
      );
      const many = await post(mf, flat);
      expect(many.status).toBe(413);
      expect(((await many.json()) as { error: { message: string } }).error.message).toBe(
        "Expected at most 10000 pixels but received 200 x 200 = 40000",
      );
      expect(await backendCalls(backend.port, "/v1/encode")).toBe(enc); // no backend work yet

      const ok = await post(mf, png);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("cache-control")).toBe("no-store");
      const a = (await ok.json()) as {
        width: number;
        height: number;
        input: { format: string; bytes: number };
        l3c: { bytes: number };
        variants: { type: string; bytes: number }[];
        stream: string;
        jxl: string;
      };
      expect(a).toMatchObject({ width: 96, height: 80, input: { format: "png", bytes: png.length } });
      expect(a.variants.map((v) => v.type)).toEqual(["image/jxl", "image/webp", "image/avif", "image/png"]);
      for (const v of a.variants) expect(v.bytes).toBeGreaterThan(0);
      const jxl = Uint8Array.from(Buffer.from(a.jxl, "base64"));
      expect(jxl.length).toBe(a.variants[0].bytes);
      expect(await djxlPixels(jxl)).toEqual(img.data);
      const stream = Uint8Array.from(Buffer.from(a.stream, "base64"));
      expect(stream.length).toBe(a.l3c.bytes);
      const codec = await Codec.create({
        modelsDir: new URL("../fixtures/models", import.meta.url).pathname,
      });
      expect((await codec.decode(stream)).data).toEqual(img.data);
      await codec.close();

      // The rate limit, from a client of its own. Miniflare's limiter counts in fixed windows
      // of the wall clock (period 60: each minute, floor(Date.now() / 60 000)) and forgets
      // every count at a boundary, so requests that straddle a minute never reach 429: a
      // burst that straddles one is sent again by another client (two bursts of five quick
      // requests cannot both straddle one).
      let limited: Awaited<ReturnType<typeof post>> | undefined;
      for (let attempt = 0; !limited && attempt < 2; attempt++) {
        const client = { "CF-Connecting-IP": `192.0.2.${10 + attempt}` };
        const minute = Math.floor(Date.now() / 60_000);
        for (let i = 0; i < 4; i++) {
          const r = await post(mf, "x", client);
          expect(r.status).toBe(415); // counted: the limit is checked first
          await r.arrayBuffer();
        }
        const fifth = await post(mf, png, client);
        if (Math.floor(Date.now() / 60_000) === minute) limited = fifth;
        else await fifth.arrayBuffer();
      }
      expect(limited?.status).toBe(429);
      expect(limited?.headers.get("retry-after")).toBe("60");
      await limited?.arrayBuffer();
      const other = await post(mf, "x", { "CF-Connecting-IP": "192.0.2.7" });
      expect(other.status).toBe(415); // another client has its own budget
      await other.arrayBuffer();
    });
  });
});
