/**
 * @module app
 * The edge: `GET /<bucket>/<key>` serves an image by content negotiation (l3c only to
 * clients that name `image/vnd.l3c`, else WebP, AVIF or PNG decoded from the stored
 * `.l3c` by the backend; variants.ts), `?codec=` forces a variant, `?info` describes the
 * stream (and whether it is stale), `HEAD` answers from the stream header (no dimensions
 * for a stale one). The first request for an image encodes
 * it through the backend and stores `<key>.l3c` next to it (and replaces a stream whose
 * original was overwritten since, getStream). Responses are cached (Cache
 * API) per key, variant and model; a hit calls neither the origin nor the backend.
 * `/_l3c/*` and `/` (the browser decoder's files and the demo) are web-routes.ts.
 */

import { type Context, Hono } from "hono";
import { L3cError } from "../../shared/errors.js";
import { bitsPerSubpixel, LAYOUT_NAMES, MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import {
  BackendCallError,
  backendDecode,
  backendEncode,
  gatewayStatus,
} from "../../shared/http/backend-client.js";
import { type EdgeConfig, EdgeConfigError, type EdgeEnv, loadEdgeConfig } from "./config.js";
import { DemoError } from "./demo.js";
import { KeyError, parseObjectPath } from "./keys.js";
import { createOrigin, type Origin, OriginError, type OriginObject } from "./origin.js";
import { chooseVariant, VariantError } from "./variants.js";
import { AssetsError, webRoutes } from "./web-routes.js";

/** Enough for the header of a stream of up to ~8000 tiles. */
const HEADER_PREFIX = 64 * 1024;

type Env = { Bindings: EdgeEnv };

interface Built {
  cfg: EdgeConfig;
  origin: Origin;
}

let built: { env: EdgeEnv; value: Built | EdgeConfigError } | undefined;

function build(env: EdgeEnv): Built {
  if (built?.env !== env) {
    try {
      const cfg = loadEdgeConfig(env);
      built = { env, value: { cfg, origin: createOrigin(cfg, env) } };
    } catch (e) {
      if (!(e instanceof EdgeConfigError)) throw e;
      built = { env, value: e };
    }
  }
  if (built.value instanceof EdgeConfigError) throw built.value;
  return built.value;
}

function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  });
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** RFC 9110 §13.1.2: If-None-Match with weak comparison. */
function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => bare(t) === bare(etag));
}

function waitUntil(c: Context<Env>, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p.catch(() => undefined));
  } catch {
    void p.catch(() => undefined);
  }
}

/**
 * A stored stream is stale when its `source-etag` is not the original's ETag any more (the
 * original was overwritten since it was encoded). One whose original is gone is not: it
 * may be the only copy.
 */
async function isStale(b: Built, bucket: string, key: string, stored: OriginObject): Promise<boolean> {
  const source = stored.metadata["source-etag"];
  const now = source ? await b.origin.get(bucket, key, 1) : null;
  return now !== null && now.etag !== source;
}

/**
 * The stored stream, encoding (and storing) it on first use. A stale stream (isStale) is
 * replaced: the original is encoded again and stored over it (only if it is still the
 * stream read). A stream whose original is gone is served as it is.
 */
async function getStream(c: Context<Env>, b: Built, bucket: string, key: string): Promise<Uint8Array | null> {
  const stored = await b.origin.get(bucket, `${key}.l3c`);
  if (stored) {
    parseHeader(stored.body); // a corrupt stored stream is an origin error, never served
    if (!(await isStale(b, bucket, key, stored))) return stored.body;
  }
  const original = await b.origin.get(bucket, key);
  if (!original) return stored ? stored.body : null;
  const { stream, model, verified } = await backendEncode(b.cfg, original.body);
  const h = parseHeader(stream); // never store what does not parse
  if (!verified) return stream; // served (its tiles are checked when decoded), never stored
  waitUntil(
    c,
    b.origin.put(
      bucket,
      `${key}.l3c`,
      stream,
      MEDIA_TYPE,
      {
        "l3c-model": model || h.modelHash,
        "source-etag": original.etag,
        "l3c-width": String(h.width),
        "l3c-height": String(h.height),
      },
      stored?.etag,
    ),
  );
  return stream;
}

export function createEdgeApp() {
  const app = new Hono<Env>();

  app.onError((err) => {
    if (err instanceof KeyError) return jsonError(err.status, "BAD_KEY", err.message);
    if (err instanceof VariantError) return jsonError(err.status, err.code, err.message, { Vary: "Accept" });
    if (err instanceof DemoError)
      return jsonError(err.status, err.code, err.message, err.status === 429 ? { "Retry-After": "60" } : {});
    if (err instanceof AssetsError) return jsonError(404, "NO_ASSETS", err.message);
    if (err instanceof BackendCallError) {
      return jsonError(
        gatewayStatus(err),
        "BACKEND",
        err.message,
        err.retryAfter ? { "Retry-After": err.retryAfter } : {},
      );
    }
    if (err instanceof OriginError) return jsonError(502, "ORIGIN", err.message);
    if (err instanceof L3cError) return jsonError(502, err.code, `stored stream: ${err.message}`);
    if (err instanceof EdgeConfigError) return jsonError(500, "CONFIG", err.message);
    return jsonError(500, "INTERNAL", "internal error");
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route(
    "/",
    webRoutes((env) => build(env).cfg),
  );

  app.on(["GET", "HEAD"], "/*", async (c) => {
    const b = build(c.env);
    const url = new URL(c.req.url);
    const { bucket, key } = parseObjectPath(url.pathname, b.cfg);

    if (url.searchParams.has("info")) {
      const o = await b.origin.get(bucket, `${key}.l3c`, HEADER_PREFIX);
      if (!o) return jsonError(404, "NOT_ENCODED", "no .l3c stream for this key yet");
      const h = parseHeader(o.body, undefined, true);
      const last = h.tiles[h.tiles.length - 1];
      // stale: the stream describes an original overwritten since; the next GET replaces it
      const stale = await isStale(b, bucket, key, o);
      return c.json(
        {
          bucket,
          key,
          width: h.width,
          height: h.height,
          layout: LAYOUT_NAMES[h.layout],
          model: h.modelHash,
          tileSize: h.tileSize,
          tiles: h.tileCount,
          bytes: last.offset + last.length,
          bpsp: bitsPerSubpixel(last.offset + last.length, h),
          stale,
        },
        200,
        { "Cache-Control": "no-store" },
      );
    }

    const variant = chooseVariant(c.req.header("Accept"), url.searchParams.get("codec"));
    // CORS: public images, readable by <l3c-img> and canvases of pages on any origin.
    const common = { Vary: "Accept", "X-L3C-Model": b.cfg.modelId, "Access-Control-Allow-Origin": "*" };
    const isPrivate = c.req.header("Authorization") !== undefined || c.req.header("Cookie") !== undefined;

    if (c.req.method === "HEAD") {
      // no stream yet, or a stale one (a GET encodes the original anew): what a GET would
      // serve is not known without encoding, so only the type is said
      const o = await b.origin.get(bucket, `${key}.l3c`, HEADER_PREFIX);
      if (!o || (await isStale(b, bucket, key, o))) {
        if (!o && !(await b.origin.get(bucket, key, 1))) return new Response(null, { status: 404 });
        return new Response(null, { status: 200, headers: { ...common, "Content-Type": variant } });
      }
      const h = parseHeader(o.body, undefined, true);
      const last = h.tiles[h.tiles.length - 1];
      return new Response(null, {
        status: 200,
        headers: {
          ...common,
          "Content-Type": variant,
          "X-L3C-Width": String(h.width),
          "X-L3C-Height": String(h.height),
          "X-L3C-Stream-Model": h.modelHash,
          ...(variant === MEDIA_TYPE ? { "Content-Length": String(last.offset + last.length) } : {}),
        },
      });
    }

    // Cache: keyed by bucket/key + negotiated variant + model; never by other headers.
    const cache = (globalThis as unknown as { caches: { default: Cache } }).caches.default;
    const cacheKey = new Request(
      `https://l3c-edge.cache/${bucket}/${encodeURI(key)}?variant=${encodeURIComponent(variant)}&model=${b.cfg.modelId}`,
    );
    if (!isPrivate) {
      const hit = await cache.match(cacheKey);
      if (hit) {
        const etag = hit.headers.get("ETag") ?? "";
        if (etagMatches(c.req.header("If-None-Match"), etag)) {
          return new Response(null, { status: 304, headers: { ETag: etag, ...common, "X-Cache": "HIT" } });
        }
        const r = new Response(hit.body, hit);
        r.headers.set("X-Cache", "HIT");
        return r;
      }
    }

    const stream = await getStream(c, b, bucket, key);
    if (!stream) return jsonError(404, "NOT_FOUND", "no such object");
    const tag = (await sha256Hex(stream)).slice(0, 32);
    let body: Uint8Array;
    let etag: string;
    if (variant === MEDIA_TYPE) {
      body = stream;
      etag = `"l3c-${tag}"`;
    } else {
      body = await backendDecode(b.cfg, stream, variant);
      etag = `W/"${variant.slice(6)}-${tag}"`; // weak: same pixels, encoder bytes may vary
    }
    const headers = {
      ...common,
      "Content-Type": variant,
      ETag: etag,
      "Cache-Control": isPrivate ? "private, no-store" : `public, max-age=${b.cfg.maxAge}`,
      "X-Cache": "MISS",
    };
    if (etagMatches(c.req.header("If-None-Match"), etag)) {
      return new Response(null, { status: 304, headers: { ETag: etag, ...common } });
    }
    const res = new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
    if (!isPrivate) waitUntil(c, cache.put(cacheKey, res.clone()));
    return res;
  });

  app.notFound(() => jsonError(404, "NOT_FOUND", "no such route"));
  return app;
}
