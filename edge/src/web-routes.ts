/**
 * @module web-routes
 * What the edge serves besides images, all under `/_l3c/` (no bucket can be named so):
 * the browser decoder's files (web/build.ts) from the Workers Static Assets binding
 * ASSETS, with CORS so pages of any origin can use them; and, only with DEMO=on, the
 * demo page at `GET /` and its upload (demo.ts).
 */

import { type Context, Hono } from "hono";
import type { EdgeConfig, EdgeEnv } from "./config.js";
import { demoBodyLimit, demoEncode } from "./demo.js";

type Env = { Bindings: EdgeEnv };

interface Fetcher {
  fetch(req: Request): Promise<Response>;
}

export class AssetsError extends Error {}

/** Content-hashed files (models) never change; pages revalidate; the rest after an hour. */
function cacheControl(path: string): string {
  if (path.startsWith("/_l3c/models/")) return "public, max-age=31536000, immutable";
  return path.endsWith(".html") ? "no-cache" : "public, max-age=3600";
}

async function asset(c: Context<Env>, path: string): Promise<Response> {
  const assets = c.env.ASSETS as Fetcher | undefined;
  if (typeof assets?.fetch !== "function") throw new AssetsError("web assets are not deployed (ASSETS)");
  const r = await assets.fetch(new Request(new URL(path, c.req.url), { method: c.req.method }));
  const res = new Response(r.body, r);
  res.headers.set("Access-Control-Allow-Origin", "*");
  if (r.ok) res.headers.set("Cache-Control", cacheControl(path));
  return res;
}

export function webRoutes(config: (env: EdgeEnv) => EdgeConfig) {
  const app = new Hono<Env>();
  const demoOnly = (c: Context<Env>) => config(c.env).demo !== undefined;

  app.get("/", (c) => (demoOnly(c) ? asset(c, "/_l3c/demo.html") : c.notFound()));
  app.post(
    "/_l3c/demo/encode",
    async (c, next) => {
      const cfg = config(c.env);
      if (!cfg.demo) return c.notFound();
      return demoBodyLimit(cfg.demo.maxBytes)(c, next);
    },
    (c) => demoEncode(c, config(c.env)),
  );
  app.on(["GET", "HEAD"], "/_l3c/*", (c) => {
    const path = new URL(c.req.url).pathname;
    if (path.startsWith("/_l3c/demo") && !demoOnly(c)) return c.notFound();
    return asset(c, path);
  });
  return app;
}
