/** The backend as a real HTTP server on loopback, with the tiny fixture model. */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSha256Digest } from "../../shared/http/attestation.js";
import { djxlPixels } from "../../test/helpers/jxl.js";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { ConfigError, defaultUploadTimeoutMs, loadConfig } from "./config.js";
import { serverTimeouts, start } from "./server.js";

const TOKEN = "test-token-0123456789";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
let srv: Awaited<ReturnType<typeof start>>;

/** The real service on a free loopback port with the tiny fixture models. */
const startTest = (env: Record<string, string>) =>
  start({
    L3C_BACKEND_TOKEN: TOKEN,
    L3C_MODELS_DIR: new URL("../../test/fixtures/models", import.meta.url).pathname,
    PORT: "0",
    L3C_DISABLE_CUDA: "1",
    L3C_WORKERS: "2",
    ...env,
  });
let base = "";
let png: Uint8Array;
const img = syntheticImage(120, 90, 3, 7);

beforeAll(async () => {
  srv = await startTest({
    L3C_MAX_CONCURRENCY: "1",
    L3C_MAX_QUEUE: "2",
    L3C_MAX_PIXELS: "1000000",
    L3C_MAX_BODY_BYTES: "2000000",
    L3C_THREADS: "1",
  });
  base = `http://127.0.0.1:${srv.port}`;
  png = new Uint8Array(
    await sharp(img.data, { raw: { width: 120, height: 90, channels: 3 } })
      .png()
      .toBuffer(),
  );
});
afterAll(async () => {
  await srv?.stop();
});

const post = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(base + path, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers: { ...AUTH, ...headers },
  });

async function rawPixels(bytes: ArrayBuffer) {
  return new Uint8Array(await sharp(Buffer.from(bytes)).raw().toBuffer());
}

describe("backend service", () => {
  it("serves health, readiness, metrics and its OpenAPI document without a credential", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await (await fetch(`${base}/readyz`)).json();
    expect(ready).toMatchObject({
      ready: true,
      executionProvider: "cpu",
      graphForm: "int",
      cudaNotUsed: "disabled by L3C_DISABLE_CUDA=1",
      core: "wasm-simd",
      workers: 2,
    });
    expect(ready.models.map((m: { name: string }) => m.name)).toEqual([
      "tiny",
      "tiny-adapt",
      "tiny-adapt2",
      "tiny-adapt3",
      "tiny-adapt4",
      "tiny-adapt5",
      "tiny-adapt6",
      "tiny-phase4",
      "tiny-z1none",
    ]);
    const api = await (await fetch(`${base}/openapi.json`)).json();
    expect(Object.keys(api.paths)).toContain("/v1/encode");
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toContain("l3c_queue_depth");
  });

  it("rejects missing and wrong credentials", async () => {
    const r1 = await fetch(`${base}/v1/encode`, { method: "POST", body: png as Uint8Array<ArrayBuffer> });
    expect(r1.status).toBe(401);
    expect(r1.headers.get("www-authenticate")).toContain("Bearer");
    const r2 = await post("/v1/encode", png, { Authorization: `Bearer ${TOKEN}x` });
    expect(r2.status).toBe(401);
    expect((await r2.json()).error.code).toBe("UNAUTHORIZED");
  });

  it("encodes and decodes losslessly to PNG, WebP and AVIF by Accept", async () => {
    const enc = await post("/v1/encode?tile=64", png);
    expect(enc.status).toBe(200);
    expect(enc.headers.get("content-type")).toBe("image/vnd.l3c");
    expect(enc.headers.get("x-l3c-model")).toMatch(/^[0-9a-f]{64}$/);
    const stream = new Uint8Array(await enc.arrayBuffer());
    // The attestation (shared/http/attestation.ts): verified, and digests of both bodies.
    const sha = (b: Uint8Array) => formatSha256Digest(createHash("sha256").update(b).digest());
    expect(enc.headers.get("x-l3c-verified")).toBe("pixels");
    expect(enc.headers.get("content-digest")).toBe(sha(stream));
    expect(enc.headers.get("x-l3c-source-digest")).toBe(sha(png));
    for (const [accept, type] of [
      ["image/png", "image/png"],
      ["image/webp", "image/webp"],
      ["image/avif,image/webp;q=0.5", "image/avif"],
      ["*/*", "image/png"],
    ]) {
      const dec = await post("/v1/decode", stream, { Accept: accept });
      expect(dec.status, accept).toBe(200);
      expect(dec.headers.get("content-type")).toBe(type);
      expect(dec.headers.get("vary")).toBe("Accept");
      expect(await rawPixels(await dec.arrayBuffer()), accept).toEqual(img.data);
    }
    expect((await post("/v1/decode", stream, { Accept: "text/html" })).status).toBe(406);
  });

  it("converts an image losslessly to PNG, WebP or AVIF by Accept, without an l3c encode", async () => {
    const gray = syntheticImage(40, 30, 1, 3);
    const grayPng = new Uint8Array(
      await sharp(gray.data, { raw: { width: 40, height: 30, channels: 1 } })
        .png()
        .toBuffer(),
    );
    for (const type of ["image/png", "image/webp", "image/avif"]) {
      const r = await post("/v1/convert", png, { Accept: type });
      expect(r.status, type).toBe(200);
      expect(r.headers.get("content-type")).toBe(type);
      expect(await rawPixels(await r.arrayBuffer()), type).toEqual(img.data);
    }
    const g = await post("/v1/convert", grayPng, { Accept: "image/webp" });
    expect(g.status).toBe(200);
    const back = await sharp(Buffer.from(await g.arrayBuffer()))
      .extractChannel(0)
      .raw()
      .toBuffer();
    expect(new Uint8Array(back)).toEqual(gray.data);
    expect((await post("/v1/convert", png, { Accept: "text/html" })).status).toBe(406);
    const text = await post("/v1/convert", new TextEncoder().encode("not an image"), { Accept: "image/png" });
    expect(text.status).toBe(415);
    expect((await text.json()).error.code).toBe("UNSUPPORTED_IMAGE");
  });

  it("answers lossless JPEG XL, attested: decoded again by djxl to the same pixels", async () => {
    const stream = new Uint8Array(await (await post("/v1/encode", png)).arrayBuffer());
    for (const [path, body] of [
      ["/v1/decode", stream],
      ["/v1/convert", png],
    ] as const) {
      const r = await post(path, body, { Accept: "image/jxl" });
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/jxl");
      expect(r.headers.get("x-l3c-verified")).toBe("pixels");
      const jxl = new Uint8Array(await r.arrayBuffer());
      expect(r.headers.get("content-digest")).toBe(
        formatSha256Digest(createHash("sha256").update(jxl).digest()),
      );
      expect(await djxlPixels(jxl)).toEqual(img.data);
    }
  });

  it("answers bad input with 4xx JSON errors", async () => {
    const enc = await post("/v1/encode", png);
    const stream = new Uint8Array(await enc.arrayBuffer());
    const cases: Array<[string, Uint8Array, number, string, string?]> = [
      ["/v1/decode", stream.subarray(0, stream.length - 3), 400, "TRUNCATED"],
      ["/v1/decode", new TextEncoder().encode("hello"), 400, "BAD_MAGIC"],
      ["/v1/encode", new TextEncoder().encode("not an image"), 415, "UNSUPPORTED_IMAGE"],
      ["/v1/encode", new Uint8Array(0), 400, "INVALID_ARGUMENT"],
      ["/v1/encode?tile=65", png, 400, "INVALID_ARGUMENT"],
      ["/v1/encode", new Uint8Array(2_000_001), 413, "LIMIT_EXCEEDED"],
    ];
    const unknown = stream.slice();
    unknown[30] ^= 1; // model id byte: header CRC then fails first
    cases.push(["/v1/decode", unknown, 400, "HEADER_CHECKSUM"]);
    for (const [path, body, status, code] of cases) {
      const r = await post(path, body);
      expect(r.status, `${path} ${code}`).toBe(status);
      expect((await r.json()).error.code).toBe(code);
    }
    // too many pixels: checked from the header before decoding
    const big = new Uint8Array(
      await sharp({ create: { width: 1200, height: 1000, channels: 3, background: "#fff" } })
        .png()
        .toBuffer(),
    );
    const r = await post("/v1/encode", big);
    expect(r.status).toBe(413);
    expect((await r.json()).error).toEqual({
      code: "LIMIT_EXCEEDED",
      message: "image has more pixels than this service takes (1000000)",
      detail: "1200x1000 pixels, over the limit of 1000000",
    });
    // The same limit for PNM, which is parsed here rather than by sharp.
    const pnm = new Uint8Array([...new TextEncoder().encode("P5\n1200 1000\n255\n"), 0]);
    const rp = await post("/v1/encode", pnm);
    expect(rp.status).toBe(413);
    expect((await rp.json()).error.code).toBe("LIMIT_EXCEEDED");
  });

  it("says in plain words which model or image it refuses, library text only in detail", async () => {
    const r = await post("/v1/encode?model=nope", png);
    expect(r.status).toBe(422);
    expect((await r.json()).error).toEqual({
      code: "UNKNOWN_MODEL",
      message:
        "unknown model nope: expected one of tiny, tiny-adapt, tiny-adapt2, tiny-adapt3, tiny-adapt4, tiny-adapt5, tiny-adapt6, tiny-phase4, tiny-z1none or a model id",
    });
    // A model named by its id still encodes.
    const id = (await (await fetch(`${base}/readyz`)).json()).models[1].id;
    const ok = await post(`/v1/encode?tile=64&model=${id}`, png);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-l3c-model")).toBe(id);
    await ok.arrayBuffer();
    // Not an image: the message is the service's, sharp's words stay in detail. The scheme
    // of the credential is case-insensitive (RFC 9110 §11.1).
    for (const body of ["not an image", "\x89PNG\r\n\x1a\n truncated"]) {
      const ri = await post("/v1/encode", new TextEncoder().encode(body), {
        Authorization: `bearer ${TOKEN}`,
      });
      expect(ri.status, body).toBe(415);
      const { error } = await ri.json();
      expect(error.code).toBe("UNSUPPORTED_IMAGE");
      expect(error.message).toBe(
        "not an image this service reads (PNG, JPEG, WebP, TIFF, PNM; 8-bit samples, one frame, opaque)",
      );
      expect(error.detail, body).toBeTypeOf("string");
    }
  });

  it("under 10x overload answers only 200 or 503 with Retry-After, and stays up", async () => {
    const rss0 = process.memoryUsage().rss;
    const capacity = 1 + 2;
    const rs = await Promise.all(
      Array.from({ length: 10 * capacity }, () => post("/v1/encode?tile=64", png)),
    );
    const statuses = rs.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(capacity);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    for (const r of rs.filter((r) => r.status === 503)) expect(r.headers.get("retry-after")).toBe("1");
    await Promise.all(rs.map((r) => r.arrayBuffer()));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(512 * 1024 * 1024);
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/l3c_requests_total\{route="\/v1\/encode",status="503"\} \d+/);
  });

  it("stops work that runs past the request deadline with 503", async () => {
    const s = await startTest({ L3C_REQUEST_TIMEOUT_MS: "1" });
    try {
      const r = await fetch(`http://127.0.0.1:${s.port}/v1/encode?tile=64`, {
        method: "POST",
        body: png as Uint8Array<ArrayBuffer>,
        headers: AUTH,
      });
      expect(r.status).toBe(503);
      expect((await r.json()).error.code).toBe("DEADLINE_EXCEEDED");
      expect(r.headers.get("retry-after")).toBe("5");
    } finally {
      await s.stop();
    }
  });

  it("closes the connection of a client that sends its request too slowly", async () => {
    const s = await startTest({ L3C_UPLOAD_TIMEOUT_MS: "1000", L3C_WORKERS: "0" });
    /** Sends `head` at once, then one byte of `drip` every 100 ms; what came back and when. */
    const dribble = (head: string, drip: string) =>
      new Promise<{ reply: string; ms: number }>((resolve) => {
        const t0 = performance.now();
        const sock = connect(s.port, "127.0.0.1");
        let reply = "";
        let i = 0;
        const timer = setInterval(() => sock.writable && sock.write(drip[i++ % drip.length]), 100);
        // Node's default would hold the socket for 300 s: give up after 6 s.
        const giveUp = setTimeout(() => sock.destroy(), 6000);
        sock.on("data", (d) => {
          reply += d.toString("latin1");
        });
        sock.on("error", () => {});
        sock.on("close", () => {
          clearInterval(timer);
          clearTimeout(giveUp);
          resolve({ reply, ms: performance.now() - t0 });
        });
        sock.write(head);
      });
    try {
      const body = await dribble(
        `POST /v1/encode HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100000\r\n\r\n`,
        "P",
      );
      const headers = await dribble("POST /v1/encode HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
      for (const r of [body, headers]) {
        expect(r.ms).toBeLessThan(4000); // 1 s, checked every 250 ms, on a busy machine
        expect(r.reply).toMatch(/^(HTTP\/1\.1 408 |$)/);
      }
      // The service still answers.
      expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it("validates its configuration with messages naming the variable", () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({ L3C_BACKEND_TOKEN: "short" })).toThrow("L3C_BACKEND_TOKEN");
    expect(() => loadConfig({ L3C_BACKEND_TOKEN: TOKEN, PORT: "99999" })).toThrow(
      "Expected integer between 0 and 65535 for PORT but received 99999 of type number",
    );
    expect(() => loadConfig({ L3C_BACKEND_TOKEN: TOKEN, L3C_CORE: "simd" })).toThrow(
      new ConfigError("Expected one of ts, wasm, wasm-simd for L3C_CORE but received simd of type string"),
    );
    expect(() => loadConfig({ L3C_BACKEND_TOKEN: TOKEN, L3C_RUNTIME: "gpu" })).toThrow(
      new ConfigError("Expected one of node, wasm for L3C_RUNTIME but received gpu of type string"),
    );
    expect(loadConfig({ L3C_BACKEND_TOKEN: TOKEN }).core).toBe("wasm-simd");
    // The upload timeout fits the body limit: 60 s, or the limit at 1 MiB/s (64 MiB: 64 s).
    expect(loadConfig({ L3C_BACKEND_TOKEN: TOKEN }).uploadTimeoutMs).toBe(64_000);
    expect(defaultUploadTimeoutMs(2_000_000)).toBe(60_000);
    expect(loadConfig({ L3C_BACKEND_TOKEN: TOKEN, L3C_UPLOAD_TIMEOUT_MS: "5000" }).uploadTimeoutMs).toBe(
      5000,
    );
    expect(() => loadConfig({ L3C_BACKEND_TOKEN: TOKEN, L3C_UPLOAD_TIMEOUT_MS: "50" })).toThrow(
      new ConfigError(
        "Expected integer between 100 and 3600000 for L3C_UPLOAD_TIMEOUT_MS but received 50 of type number",
      ),
    );
    expect(serverTimeouts({ uploadTimeoutMs: 64_000 })).toEqual({
      requestTimeout: 64_000,
      headersTimeout: 10_000,
      connectionsCheckingInterval: 1000,
    });
  });

  it("L3C_CORE picks the entropy core: the TypeScript reference gives the same stream", async () => {
    const s = await startTest({ L3C_CORE: "ts", L3C_WORKERS: "0" });
    try {
      const url = `http://127.0.0.1:${s.port}`;
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ core: "ts", workers: 0 });
      const enc = (u: string) =>
        fetch(`${u}/v1/encode?tile=64`, {
          method: "POST",
          body: png as Uint8Array<ArrayBuffer>,
          headers: AUTH,
        });
      const [a, b] = await Promise.all([enc(url), enc(base)]);
      expect(Buffer.from(await a.arrayBuffer()).equals(Buffer.from(await b.arrayBuffer()))).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes in-flight work, then refuses new work", async () => {
    const s = await startTest({ L3C_THREADS: "1" });
    const url = `http://127.0.0.1:${s.port}`;
    const big = syntheticImage(400, 300, 3, 3);
    const body = new Uint8Array(
      await sharp(big.data, { raw: { width: 400, height: 300, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const inFlight = fetch(`${url}/v1/encode`, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: AUTH,
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = s.stop();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBeGreaterThan(100);
    await stopped;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
