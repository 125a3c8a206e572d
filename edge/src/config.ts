/**
 * @module config
 * Edge configuration from Worker bindings (wrangler.toml `[vars]` and secrets), validated
 * once when the app is built: a bad value fails every request with 500 and a message
 * naming the variable, rather than misbehaving.
 */

import { readOptions } from "../../shared/options.js";

export interface EdgeEnv {
  /** Comma-separated bucket names the edge may read (required). */
  ALLOWED_BUCKETS?: string;
  /** Regular expression every object key must match (default: images under safe names). */
  KEY_PATTERN?: string;
  /** "r2" (binding per bucket, named BUCKET_<NAME>) or "s3" (S3-compatible endpoint). */
  ORIGIN?: string;
  S3_ENDPOINT?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  /** Backend base URL and bearer credential. */
  BACKEND_URL?: string;
  BACKEND_TOKEN?: string;
  /**
   * The model new encodings use, by name or id as the backend knows it ("default", the
   * default: the backend's own); part of cache keys for .l3c responses.
   */
  MODEL_ID?: string;
  /** Cache-Control max-age for images, seconds (default 3600). */
  CACHE_MAX_AGE?: string;
  /** Longest a decode or conversion by the backend may take, ms (default 300000). */
  BACKEND_TIMEOUT_MS?: string;
  /** Longest a background l3c encode may take, ms (default 600000; at most 840000: it runs in a Durable Object alarm, which may run 15 minutes). */
  ENCODE_TIMEOUT_MS?: string;
  /** Longest an origin read or write may take, body included, ms (default 10000). */
  ORIGIN_TIMEOUT_MS?: string;
  /** Durable Object namespace (wrangler.toml [[durable_objects.bindings]]): one flight per key. */
  KEY_FLIGHT?: unknown;
  /** "on" serves the demo page (GET /) and its encode API; default "off" (production). */
  DEMO?: string;
  /** Largest upload the demo encodes, bytes (default 8 MiB). */
  DEMO_MAX_BYTES?: string;
  /** Largest image the demo encodes, width x height (default 1 M). */
  DEMO_MAX_PIXELS?: string;
  /** Workers rate-limiting binding (wrangler.toml [[ratelimits]]), required with DEMO=on. */
  DEMO_RATE_LIMITER?: unknown;
  /** Workers Static Assets binding (wrangler.toml [assets]): web/dist, served under /_l3c/. */
  ASSETS?: unknown;
  [binding: string]: unknown;
}

export interface EdgeConfig {
  buckets: Set<string>;
  keyPattern: RegExp;
  origin: "r2" | "s3";
  s3?: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  backendUrl: string;
  backendToken: string;
  modelId: string;
  /** MODEL_ID as the backend is asked for it (undefined: its default). */
  model?: string;
  maxAge: number;
  backendTimeoutMs: number;
  encodeTimeoutMs: number;
  originTimeoutMs: number;
  /** The demo (GET / and POST /_l3c/demo/encode); undefined when DEMO is off. */
  demo?: { maxBytes: number; maxPixels: number };
}

export class EdgeConfigError extends Error {}

const DEFAULT_KEY_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,1000}\\.(png|jpe?g|webp|tiff?)$";

export function loadEdgeConfig(env: EdgeEnv): EdgeConfig {
  const o = readOptions(env, { error: (m) => new EdgeConfigError(m) });
  const buckets = new Set(
    o
      .required("ALLOWED_BUCKETS")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
  );
  for (const b of buckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(b))
      throw new EdgeConfigError(`ALLOWED_BUCKETS: invalid bucket name ${b}`);
  }
  let keyPattern: RegExp;
  try {
    keyPattern = new RegExp(o.text("KEY_PATTERN") ?? DEFAULT_KEY_PATTERN);
  } catch (e) {
    throw new EdgeConfigError(`KEY_PATTERN is not a valid regular expression: ${(e as Error).message}`);
  }
  const origin = o.oneOf("ORIGIN", ["r2", "s3"], "s3");
  const backendUrl = o.required("BACKEND_URL");
  try {
    new URL(backendUrl);
  } catch {
    throw new EdgeConfigError(`BACKEND_URL is not a URL: ${backendUrl}`);
  }
  const backendToken = o.required("BACKEND_TOKEN");
  const modelId = o.text("MODEL_ID") ?? "default";
  const flights = env.KEY_FLIGHT as { idFromName?: unknown } | undefined;
  if (typeof flights?.idFromName !== "function")
    throw new EdgeConfigError("KEY_FLIGHT must be bound to the KeyFlight Durable Object class");
  const demoFlag = o.oneOf("DEMO", ["on", "off"], "off");
  const rateLimiter = env.DEMO_RATE_LIMITER as { limit?: unknown } | undefined;
  if (demoFlag === "on" && typeof rateLimiter?.limit !== "function")
    throw new EdgeConfigError("DEMO=on needs the DEMO_RATE_LIMITER rate-limiting binding");
  return {
    buckets,
    keyPattern,
    origin,
    s3:
      origin === "s3"
        ? {
            endpoint: o.required("S3_ENDPOINT"),
            region: o.text("S3_REGION") ?? "us-east-1",
            accessKeyId: o.required("S3_ACCESS_KEY_ID"),
            secretAccessKey: o.required("S3_SECRET_ACCESS_KEY"),
          }
        : undefined,
    backendUrl: backendUrl.replace(/\/+$/, ""),
    backendToken,
    modelId,
    model: modelId === "default" ? undefined : modelId,
    maxAge: o.integer("CACHE_MAX_AGE", 0, 31_536_000, 3600),
    backendTimeoutMs: o.integer("BACKEND_TIMEOUT_MS", 100, 900_000, 300_000),
    encodeTimeoutMs: o.integer("ENCODE_TIMEOUT_MS", 100, 840_000, 600_000),
    originTimeoutMs: o.integer("ORIGIN_TIMEOUT_MS", 100, 600_000, 10_000),
    demo:
      demoFlag === "on"
        ? {
            maxBytes: o.integer("DEMO_MAX_BYTES", 1024, 64 * 1024 * 1024, 8 * 1024 * 1024),
            maxPixels: o.integer("DEMO_MAX_PIXELS", 1, 16_000_000, 1_000_000),
          }
        : undefined,
  };
}
