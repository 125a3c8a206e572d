/**
 * Test harness for the edge: the Worker bundled with esbuild and run in workerd
 * (Miniflare), a real backend on loopback (tiny fixture model), and a real S3 server on
 * loopback (versitygw, built by `npm run setup`) holding the images.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { start } from "../../gpu-backend/src/server.js";
import { S3_CREDS, startS3Server } from "./s3-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;
export const TOKEN = "edge-test-token-0123456789";

export { freePort } from "./s3-server.js";
export { S3_CREDS };

/** The real S3 server (versitygw, test/harness/s3-server.ts) with an "images" bucket. */
export const startS3 = startS3Server;

export async function startBackend(extra: Record<string, string> = {}) {
  return start({
    L3C_BACKEND_TOKEN: TOKEN,
    L3C_MODELS_DIR: join(ROOT, "test/fixtures/models"),
    PORT: "0",
    L3C_DISABLE_CUDA: "1",
    L3C_THREADS: "1",
    L3C_WORKERS: "2",
    ...extra,
  });
}

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
  options: Partial<MiniflareOptions> = {},
): Promise<Miniflare> {
  return new Miniflare({
    ...(options as object),
    modules: true,
    scriptPath: await bundleEdge(),
    compatibilityDate: "2026-04-01",
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
  });
}

/** Sum of the backend's l3c_requests_total for a route (how often the edge called it). */
export async function backendCalls(port: number, route: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`l3c_requests_total{route="${route}"`)) n += Number(line.split(" ").pop());
  }
  return n;
}
