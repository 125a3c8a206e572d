/**
 * The edge Worker as the cross-tier tests run it: bundled with esbuild (by path: nothing
 * imports edge/) and run in workerd (Miniflare), bound to a backend (backend.ts) and an
 * S3 server (s3-server.ts) on loopback.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare, type V4MiniflareOptions } from "miniflare";
import { TOKEN } from "./backend.js";
import { S3_CREDS } from "./s3-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let bundle: string | undefined;

export async function bundleEdge(): Promise<string> {
  if (bundle) return bundle;
  // Inside the project: workerd refuses module paths that climb out of the working directory.
  const dir = join(ROOT, "node_modules/.cache/l3c-edge-test");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "worker.mjs");
  await build({
    entryPoints: [join(ROOT, "edge/src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    outfile: out,
    logLevel: "warning",
  });
  bundle = out;
  return out;
}

/** `options` adds Miniflare options (assets, rate limiters, a port) to the defaults. */
export async function startEdge(
  bindings: Record<string, string>,
  options: Partial<V4MiniflareOptions> = {},
): Promise<Miniflare> {
  return new Miniflare(
    convertV4MiniflareOptions({
      durableObjects: { KEY_FLIGHT: "KeyFlight" },
      ...(options as object),
      modules: true,
      scriptPath: await bundleEdge(),
      compatibilityDate: "2026-11-17",
      bindings: {
        ALLOWED_BUCKETS: "images",
        ORIGIN: "s3",
        S3_REGION: "us-east-1",
        S3_ACCESS_KEY_ID: S3_CREDS.accessKeyId,
        S3_SECRET_ACCESS_KEY: S3_CREDS.secretAccessKey,
        BACKEND_TOKEN: TOKEN,
        MODEL_ID: "tiny",
        BACKEND_TIMEOUT_MS: "20000",
        ...bindings,
      },
    }),
  );
}
