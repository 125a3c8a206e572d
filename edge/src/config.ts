/**
 * @module config
 * Edge configuration from Worker bindings (wrangler.toml `[vars]` and secrets), validated
 * once when the app is built: a bad value fails every request with 500 and a message
 * naming the variable, rather than misbehaving.
 */

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
  /** Model id of new encodings (part of cache keys for .l3c responses). */
  MODEL_ID?: string;
  /** Cache-Control max-age for images, seconds (default 3600). */
  CACHE_MAX_AGE?: string;
  /** Backend request timeout, ms (default 30000). */
  BACKEND_TIMEOUT_MS?: string;
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
  maxAge: number;
  backendTimeoutMs: number;
  /** The demo (GET / and POST /_l3c/demo/encode); undefined when DEMO is off. */
  demo?: { maxBytes: number; maxPixels: number };
}

export class EdgeConfigError extends Error {}

const DEFAULT_KEY_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,1000}\\.(png|jpe?g|webp|tiff?)$";

function str(env: EdgeEnv, name: string, def?: string): string {
  const v = env[name];
  if (typeof v === "string" && v !== "") return v;
  if (def !== undefined) return def;
  throw new EdgeConfigError(`${name} must be set`);
}

function int(env: EdgeEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new EdgeConfigError(
      `Expected integer between ${min} and ${max} for ${name} but received ${String(raw)}`,
    );
  }
  return v;
}

export function loadEdgeConfig(env: EdgeEnv): EdgeConfig {
  const buckets = new Set(
    str(env, "ALLOWED_BUCKETS")
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
    keyPattern = new RegExp(str(env, "KEY_PATTERN", DEFAULT_KEY_PATTERN));
  } catch (e) {
    throw new EdgeConfigError(`KEY_PATTERN is not a valid regular expression: ${(e as Error).message}`);
  }
  const origin = str(env, "ORIGIN", "s3");
  if (origin !== "r2" && origin !== "s3")
    throw new EdgeConfigError(`Expected r2 or s3 for ORIGIN but received ${origin}`);
  const backendUrl = str(env, "BACKEND_URL");
  try {
    new URL(backendUrl);
  } catch {
    throw new EdgeConfigError(`BACKEND_URL is not a URL: ${backendUrl}`);
  }
  const backendToken = str(env, "BACKEND_TOKEN");
  const demoFlag = str(env, "DEMO", "off");
  if (demoFlag !== "on" && demoFlag !== "off")
    throw new EdgeConfigError(`Expected on or off for DEMO but received ${demoFlag}`);
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
            endpoint: str(env, "S3_ENDPOINT"),
            region: str(env, "S3_REGION", "us-east-1"),
            accessKeyId: str(env, "S3_ACCESS_KEY_ID"),
            secretAccessKey: str(env, "S3_SECRET_ACCESS_KEY"),
          }
        : undefined,
    backendUrl: backendUrl.replace(/\/+$/, ""),
    backendToken,
    modelId: str(env, "MODEL_ID", "default"),
    maxAge: int(env, "CACHE_MAX_AGE", 3600, 0, 31_536_000),
    backendTimeoutMs: int(env, "BACKEND_TIMEOUT_MS", 30_000, 100, 600_000),
    demo:
      demoFlag === "on"
        ? {
            maxBytes: int(env, "DEMO_MAX_BYTES", 8 * 1024 * 1024, 1024, 64 * 1024 * 1024),
            maxPixels: int(env, "DEMO_MAX_PIXELS", 1_000_000, 1, 16_000_000),
          }
        : undefined,
  };
}
