/**
 * @module app
 * The edge: `GET /<bucket>/<key>` serves an image by content negotiation (l3c only to
 * clients that name `image/vnd.l3c`, else WebP, AVIF or PNG; variants.ts), `?codec=`
 * forces a variant, `?info` describes the stored stream (and whether it is stale), `HEAD`
 * answers from the stream header and the original's ETag. A cache miss goes to the key's
 * flight (flight.ts: one Durable Object per key makes each variant once, however many
 * ask). Responses are cached (Cache API) per key, variant and model; a hit calls neither
 * the origin nor the backend. `/_l3c/*` and `/` (the browser decoder's files and the
 * demo) are web-routes.ts.
 */

import { type Context, Hono } from "hono";
import { bitsPerSubpixel, LAYOUT_NAMES, MEDIA_TYPE, parseHeaderPrefix } from "../../shared/format.js";
import type { EdgeEnv } from "./config.js";
import { type EdgeContext, edgeContext } from "./context.js";
import { errorResponse, jsonError } from "./errors.js";
import { type FlightRequest, flightName } from "./flight.js";
import { parseObjectPath } from "./keys.js";
import type { OriginObject } from "./origin.js";
import { freshness, pixelsTag, STREAM_SHA256, tagOf, variantEtag } from "./streams.js";
import { chooseVariant, type Variant } from "./variants.js";
import { webRoutes } from "./web-routes.js";

/** Enough for the header of a stream of up to ~8000 tiles. */
const HEADER_PREFIX = 64 * 1024;

type Env = { Bindings: EdgeEnv };

interface FlightNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(url: string, init: RequestInit): Promise<Response> };
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

/** The key's flight (flight.ts) makes the variant: one piece of work however many ask. */
function fromFlight(env: EdgeEnv, r: FlightRequest): Promise<Response> {
  const ns = env.KEY_FLIGHT as FlightNamespace;
  return ns.get(ns.idFromName(flightName(r.bucket, r.key))).fetch("https://key-flight/make", {
    method: "POST",
    body: JSON.stringify(r),
  });
}

/**
 * What HEAD says of a key without making anything: the stored stream's header when it is
 * fresh, and the ETag that a GET of `variant` would send (known for a decoded variant
 * from the original's ETag, for the stream from its `l3c-sha256`); null when neither the
 * original nor a stream exists.
 */
async function describeKey(b: EdgeContext, bucket: string, key: string, variant: Variant) {
  const stored = await b.origin.get(bucket, `${key}.l3c`, { prefix: HEADER_PREFIX });
  const { state, original } = stored
    ? await freshness(b.origin, bucket, key, stored)
    : { state: "none" as const, original: await b.origin.get(bucket, key, { prefix: 1 }) };
  if (!stored && !original) return null;
  if (!stored || state === "stale") {
    // not encoded yet, or encoded from an older original: the next GET encodes it anew
    const etag = variant === MEDIA_TYPE ? undefined : variantEtag(variant, await tagOf(original!.etag));
    return { etag };
  }
  const h = parseHeaderPrefix(stored.body);
  const last = h.tiles[h.tiles.length - 1];
  const sha = stored.metadata[STREAM_SHA256]?.toLowerCase();
  let etag: string | undefined;
  if (variant === MEDIA_TYPE) etag = sha ? variantEtag(variant, sha) : undefined;
  else if (stored.metadata["source-etag"] || sha)
    etag = variantEtag(variant, await pixelsTag(stored, sha ?? ""));
  return { etag, header: h, bytes: last.offset + last.length };
}

async function info(c: Context<Env>, b: EdgeContext, bucket: string, key: string) {
  const o: OriginObject | null = await b.origin.get(bucket, `${key}.l3c`, { prefix: HEADER_PREFIX });
  if (!o) return jsonError(404, "NOT_ENCODED", "no .l3c stream for this key yet");
  const h = parseHeaderPrefix(o.body);
  const last = h.tiles[h.tiles.length - 1];
  // stale: the stream describes an original overwritten since; the next GET replaces it
  const stale = (await freshness(b.origin, bucket, key, o)).state === "stale";
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

export function createEdgeApp() {
  const app = new Hono<Env>();

  app.onError((err) => errorResponse(err));

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route(
    "/",
    webRoutes((env) => edgeContext(env).cfg),
  );

  app.on(["GET", "HEAD"], "/*", async (c) => {
    const b = edgeContext(c.env);
    const url = new URL(c.req.url);
    const { bucket, key } = parseObjectPath(url.pathname, b.cfg);
    if (url.searchParams.has("info")) return info(c, b, bucket, key);

    const variant = chooseVariant(c.req.header("Accept"), url.searchParams.get("codec"));
    const isPrivate = c.req.header("Authorization") !== undefined || c.req.header("Cookie") !== undefined;
    // CORS: public images, readable by <l3c-img> and canvases of pages on any origin.
    // Ranges are not served (RFC 9110 §14.3): a Range request gets the whole image, 200.
    const common = {
      Vary: "Accept",
      "X-L3C-Model": b.cfg.modelId,
      "Access-Control-Allow-Origin": "*",
      "Accept-Ranges": "none",
      "Cache-Control": isPrivate ? "private, no-store" : `public, max-age=${b.cfg.maxAge}`,
    };

    if (c.req.method === "HEAD") {
      const d = await describeKey(b, bucket, key, variant);
      if (!d) return new Response(null, { status: 404, headers: { "Cache-Control": "no-store" } });
      const headers: Record<string, string> = { ...common, "Content-Type": variant };
      if (d.etag) headers.ETag = d.etag;
      if (d.header) {
        // a stale stream is described like a key not yet encoded: what a GET serves is not
        // known until it is encoded anew
        headers["X-L3C-Width"] = String(d.header.width);
        headers["X-L3C-Height"] = String(d.header.height);
        headers["X-L3C-Stream-Model"] = d.header.modelHash;
        if (variant === MEDIA_TYPE) headers["Content-Length"] = String(d.bytes);
      }
      return new Response(null, { status: 200, headers });
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
          await hit.body?.cancel();
          return new Response(null, { status: 304, headers: { ...common, ETag: etag, "X-Cache": "HIT" } });
        }
        const r = new Response(hit.body, hit);
        r.headers.set("X-Cache", "HIT");
        return r;
      }
    }

    // One flight per key makes the variant; the cache is filled even when this client
    // leaves early or is answered 304 (its next unconditional GET then hits).
    const work = (async () => {
      const made = await fromFlight(c.env, { bucket, key, variant });
      if (made.status !== 200) return made; // an error: passed on, never cached
      const etag = made.headers.get("ETag") ?? "";
      const res = new Response(made.body, {
        status: 200,
        headers: { ...common, "Content-Type": variant, ETag: etag, "X-Cache": "MISS" },
      });
      if (!isPrivate) await cache.put(cacheKey, res.clone());
      return res;
    })();
    waitUntil(c, work);
    const res = await work;
    const etag = res.headers.get("ETag");
    if (res.status === 200 && etag && etagMatches(c.req.header("If-None-Match"), etag)) {
      await res.body?.cancel();
      return new Response(null, { status: 304, headers: { ...common, ETag: etag } });
    }
    return res;
  });

  app.notFound(() => jsonError(404, "NOT_FOUND", "no such route"));
  return app;
}
