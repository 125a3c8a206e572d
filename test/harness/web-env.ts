/**
 * The stack a browser test talks to over real HTTP: the edge Worker in workerd
 * (Miniflare, listening on a loopback port) with the web assets (web/build.ts: the
 * tiny fixture models and the real ones) and DEMO=on, a real backend with the tiny
 * fixture model and the real default one (new encodings, so the demo shows real sizes),
 * and the S3-compatible server holding the images.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { buildWeb } from "../../web/build.js";
import { startBackend } from "./backend.js";
import { startEdge } from "./edge.js";
import { startS3Server } from "./s3-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The name of the shipped default model (`models/default`). */
export function defaultModelName(): string {
  return readFileSync(join(ROOT, "models/default"), "utf8").trim();
}

/**
 * A page for tests (test assets only): `#html=<markup>&module=<url>` puts the markup in
 * the body, then imports the module (which defines <l3c-img>, upgrading the markup's)
 * as `globalThis.l3c`.
 */
const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>test</title><body><script type="module">
const p = new URLSearchParams(location.hash.slice(1));
document.body.insertAdjacentHTML("beforeend", p.get("html") ?? "");
if (p.get("module")) globalThis.l3c = await import(p.get("module"));
</script>`;

export interface WebEnv {
  url: string;
  s3: Awaited<ReturnType<typeof startS3Server>>;
  backend: Awaited<ReturnType<typeof startBackend>>;
  edge: Miniflare;
  stop(): Promise<void>;
}

export async function startWebEnv(bindings: Record<string, string> = {}): Promise<WebEnv> {
  const outDir = join(ROOT, "node_modules/.cache/l3c-web-test/assets");
  const { dir } = await buildWeb({
    outDir,
    modelDirs: [join(ROOT, "models"), join(ROOT, "test/fixtures/models")],
  });
  writeFileSync(join(dir, "test-page.html"), TEST_PAGE);
  // The backend lists model folders (not links): copy the two it needs.
  const models = join(ROOT, "node_modules/.cache/l3c-web-test/models");
  rmSync(models, { recursive: true, force: true });
  mkdirSync(models, { recursive: true });
  cpSync(join(ROOT, "test/fixtures/models/tiny"), join(models, "tiny"), { recursive: true });
  const def = defaultModelName();
  cpSync(join(ROOT, "models", def), join(models, def), { recursive: true });
  writeFileSync(join(models, "default"), `${def}\n`);
  const s3 = await startS3Server();
  const backend = await startBackend({ L3C_MODELS_DIR: models });
  const edge = await startEdge(
    { S3_ENDPOINT: s3.endpoint, BACKEND_URL: `http://127.0.0.1:${backend.port}`, DEMO: "on", ...bindings },
    {
      host: "127.0.0.1",
      port: 0,
      assets: {
        directory: outDir,
        binding: "ASSETS",
        routerConfig: { invoke_user_worker_ahead_of_assets: true, has_user_worker: true },
        assetConfig: { html_handling: "none" },
      },
      ratelimits: { DEMO_RATE_LIMITER: { namespace_id: "1001", simple: { limit: 5, period: 60 } } },
    },
  );
  const url = (await edge.ready).origin;
  return {
    url,
    s3,
    backend,
    edge,
    async stop() {
      await edge.dispose();
      await backend.stop();
      s3.stop();
    },
  };
}
