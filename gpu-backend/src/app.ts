/**
 * @module app
 * The backend's Hono app: /v1/encode, /v1/decode, /healthz, /readyz, /metrics,
 * /openapi.json. Work runs through a bounded scheduler (503 + Retry-After when full);
 * every failure becomes a JSON error with the status its L3cError carries.
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Codec } from "../../node-codec/src/codec.js";
import { encodeImageFile, readImage } from "../../node-codec/src/image-io.js";
import { L3cError } from "../../shared/errors.js";
import { bitsPerSubpixel, expectTileSize, MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import { negotiate } from "../../shared/http/accept.js";
import {
  CONTENT_DIGEST_HEADER,
  formatSha256Digest,
  SOURCE_DIGEST_HEADER,
  VERIFIED_HEADER,
  VERIFIED_PIXELS,
} from "../../shared/http/attestation.js";
import { checkBearer } from "../../shared/http/bearer.js";
import type { RawImage } from "../../shared/image.js";
import { readOptions } from "../../shared/options.js";
import { ApiError } from "./api-error.js";
import type { BackendConfig } from "./config.js";
import { createMetrics } from "./metrics.js";
import { OPENAPI } from "./openapi.js";
import type { ProviderChoice } from "./provider.js";
import { QueueFullError, QueueTimeoutError, Scheduler } from "./scheduler.js";

export interface AppDeps {
  config: BackendConfig;
  codec: Codec;
  /** Reported by /readyz: the execution provider, and why not CUDA (provider.ts). */
  provider: ProviderChoice;
}

/** What /v1/decode answers, by media type (lossless all). */
const DECODE_TYPES = {
  "image/png": "png",
  "image/webp": "webp",
  "image/avif": "avif",
  "image/jxl": "jxl",
} as const;

/** The image type an Accept asks for (406 when none). */
function imageType(accept: string | undefined): keyof typeof DECODE_TYPES {
  const type = negotiate(accept, Object.keys(DECODE_TYPES)) as keyof typeof DECODE_TYPES | undefined;
  if (!type)
    throw new ApiError(
      "NOT_ACCEPTABLE",
      406,
      `Accept allows none of ${Object.keys(DECODE_TYPES).join(", ")}`,
    );
  return type;
}

/**
 * The headers of an image answer: its digest, and for JPEG XL the attestation that the
 * file was decoded again and gave the pixels (node-codec/src/jxl.ts), which the edge
 * requires before it serves one (sharp's lossless writers need no such check).
 */
function imageHeaders(type: keyof typeof DECODE_TYPES, out: Uint8Array): Record<string, string> {
  return {
    "Content-Type": type,
    Vary: "Accept",
    [CONTENT_DIGEST_HEADER]: sha256(out),
    ...(type === "image/jxl" ? { [VERIFIED_HEADER]: VERIFIED_PIXELS } : {}),
  };
}

const sha256 = (b: Uint8Array) => formatSha256Digest(createHash("sha256").update(b).digest());

function errorBody(code: string, message: string, detail?: string) {
  return { error: { code, message, ...(detail ? { detail } : {}) } };
}

/** What /v1/encode reads; 415 says it in these words (why this image: detail). */
export const NOT_AN_IMAGE =
  "not an image this service reads (PNG, JPEG, WebP, TIFF, PNM; 8-bit samples, one frame, opaque)";

/** The request's image, refused in the words of a request (the codec's speak of streams). */
async function readRequestImage(body: Uint8Array, maxPixels: number): Promise<RawImage> {
  try {
    return await readImage(body, maxPixels);
  } catch (e) {
    if (e instanceof L3cError && e.code === "UNSUPPORTED_IMAGE") throw ApiError.from(e, NOT_AN_IMAGE);
    if (e instanceof L3cError && e.code === "LIMIT_EXCEEDED")
      throw ApiError.from(e, `image has more pixels than this service takes (${maxPixels})`);
    throw e;
  }
}

/** The id of the model `?model=` names (name, id or id prefix), or 422 saying which exist. */
function requestedModel(codec: Codec, name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    return codec.model(name).id;
  } catch (e) {
    // model-store's detail is the whole sentence: "unknown model x: expected one of ...".
    if (e instanceof L3cError && e.code === "UNKNOWN_MODEL")
      throw ApiError.from(e, e.detail ?? e.message, "");
    throw e;
  }
}

export function createApp({ config, codec, provider }: AppDeps) {
  const scheduler = new Scheduler(config.maxConcurrency, config.maxQueue, config.queueTimeoutMs);
  const metrics = createMetrics(scheduler);
  const app = new Hono();
  let ready = false;
  let draining = false;

  app.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath ?? c.req.path;
    metrics.requests.inc({ route, status: String(c.res.status) });
    metrics.latency.observe({ route }, (performance.now() - t0) / 1000);
  });

  app.onError((err, c) => {
    if (err instanceof ApiError)
      return c.json(errorBody(err.code, err.message, err.detail), err.status as 400);
    if (err instanceof L3cError) {
      if (err.code === "DEADLINE_EXCEEDED") c.header("Retry-After", "5");
      else if (err.status >= 500) console.error(err);
      return c.json(errorBody(err.code, err.message, err.detail), err.status as 400);
    }
    if (c.req.raw.signal.aborted || (err as NodeJS.ErrnoException).code === "ECONNRESET") {
      // The body never fully came: the client left, or Node closed a too-slow upload with
      // 408 (server.ts). Nobody reads this answer; it is counted, not logged.
      return c.json(errorBody("REQUEST_TIMEOUT", "the request body was not received"), 408);
    }
    if (err instanceof QueueFullError || err instanceof QueueTimeoutError) {
      c.header("Retry-After", "1");
      return c.json(errorBody("OVERLOADED", err.message), 503);
    }
    console.error(err);
    return c.json(errorBody("INTERNAL", "internal error"), 500);
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", (c) =>
    c.json(
      {
        ready: ready && !draining,
        executionProvider: provider.provider,
        graphForm: provider.graphForm,
        ...(provider.reason ? { cudaNotUsed: provider.reason } : {}),
        runtime: codec.runtime,
        core: codec.core,
        workers: codec.workers,
        models: codec.models.map((m) => ({ name: m.name, id: m.id })),
        defaultModel: ready ? codec.model().id : null,
      },
      ready && !draining ? 200 : 503,
    ),
  );
  app.get("/metrics", async (c) =>
    c.text(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
  );
  app.get("/openapi.json", (c) => c.json(OPENAPI));

  const v1 = new Hono();
  v1.use("*", async (c, next) => {
    if (!(await checkBearer(c.req.header("Authorization"), config.token))) {
      c.header("WWW-Authenticate", 'Bearer realm="l3c"');
      return c.json(errorBody("UNAUTHORIZED", "missing or wrong credential"), 401);
    }
    if (draining) {
      c.header("Retry-After", "5");
      return c.json(errorBody("SHUTTING_DOWN", "the server is shutting down"), 503);
    }
    await next();
  });
  v1.use(
    "*",
    bodyLimit({
      maxSize: config.maxBodyBytes,
      // The rest of the body is not read: close the connection so it is not reused.
      onError: (c) =>
        c.json(errorBody("LIMIT_EXCEEDED", `request body over ${config.maxBodyBytes} bytes`), 413, {
          Connection: "close",
        }),
    }),
  );

  v1.post("/encode", async (c) => {
    const tile = readOptions({ tile: c.req.query("tile") }).value("tile", expectTileSize);
    const model = requestedModel(codec, c.req.query("model"));
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (!body.length) throw new L3cError("INVALID_ARGUMENT", "empty request body");
    const result = await scheduler.run(async () => {
      const img = await readRequestImage(body, config.maxPixels);
      const r = await codec.encode(img, {
        model,
        tileSize: tile,
        verify: true,
        signal: AbortSignal.timeout(config.requestTimeoutMs),
      });
      metrics.megapixels.inc({ op: "encode" }, (img.width * img.height) / 1e6);
      return { ...r, bpsp: bitsPerSubpixel(r.bytes.length, img) };
    });
    // The stream was decoded and compared with the request's pixels (verify: true above);
    // the digests let the caller check that it holds those bytes, for the image it sent
    // (shared/http/attestation.ts), instead of decoding them again.
    return c.body(result.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": MEDIA_TYPE,
      "X-L3C-Model": result.model.id,
      "X-L3C-Bpsp": result.bpsp.toFixed(4),
      [VERIFIED_HEADER]: VERIFIED_PIXELS,
      [CONTENT_DIGEST_HEADER]: sha256(result.bytes),
      [SOURCE_DIGEST_HEADER]: sha256(body),
    });
  });

  v1.post("/decode", async (c) => {
    const type = imageType(c.req.header("Accept"));
    const body = new Uint8Array(await c.req.arrayBuffer());
    const limits = { maxPixels: config.maxPixels, maxStreamBytes: config.maxBodyBytes };
    parseHeader(body, limits); // reject bad streams before queueing
    const out = await scheduler.run(async () => {
      const img = await codec.decode(body, { limits, signal: AbortSignal.timeout(config.requestTimeoutMs) });
      metrics.megapixels.inc({ op: "decode" }, (img.width * img.height) / 1e6);
      return encodeImageFile(img, DECODE_TYPES[type]);
    });
    return c.body(out as Uint8Array<ArrayBuffer>, 200, imageHeaders(type, out));
  });

  // An image converted losslessly to PNG, WebP, AVIF or JPEG XL without an l3c encode: what the
  // edge serves on a key's first request while the encode runs in the background.
  v1.post("/convert", async (c) => {
    const type = imageType(c.req.header("Accept"));
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (!body.length) throw new L3cError("INVALID_ARGUMENT", "empty request body");
    const out = await scheduler.run(async () => {
      const img = await readImage(body, config.maxPixels);
      metrics.megapixels.inc({ op: "convert" }, (img.width * img.height) / 1e6);
      return encodeImageFile(img, DECODE_TYPES[type]);
    });
    return c.body(out as Uint8Array<ArrayBuffer>, 200, imageHeaders(type, out));
  });

  app.route("/v1", v1);
  app.notFound((c) => c.json(errorBody("NOT_FOUND", "no such route"), 404));

  return {
    app,
    scheduler,
    metrics,
    setReady(v: boolean) {
      ready = v;
    },
    /** Stop taking work and resolve when in-flight work is done. */
    async drain() {
      draining = true;
      await scheduler.idle();
    },
  };
}
