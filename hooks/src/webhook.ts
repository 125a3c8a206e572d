/**
 * @module hooks/webhook
 * `npm run hooks`: an HTTP endpoint for bucket notifications of S3-compatible servers
 * (MinIO `notify_webhook`, Ceph, ...): `POST /hooks/s3` with an S3 event (Records[]).
 * Answers 200 with one outcome per record when every record was stored, skipped or
 * dead-lettered as permanent, and 503 when a transient failure remains after retries,
 * so the notifier redelivers (the hook is idempotent, so redelivery is safe).
 *
 * The s3:TestEvent a notifier sends on subscription (versitygw: at start-up) gets 200.
 *
 * Environment: HOOKS_TOKEN (bearer the notifier sends), PORT (default 8789), and the
 * hook core's variables (env.ts: L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT,
 * HOOKS_EVENT_KEYS, ...); AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
 */

import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { checkBearer } from "../../shared/http/bearer.js";
import { type HookConfig, handleObjectCreated } from "./core.js";
import { hookCoreConfigFromEnv, hookEnv } from "./env.js";
import { isTestEvent, objectsFromS3Event } from "./events.js";

export function createHookApp(cfg: HookConfig, token: string) {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.post("/hooks/s3", async (c) => {
    if (!(await checkBearer(c.req.header("Authorization"), token))) {
      return c.json({ error: { code: "UNAUTHORIZED", message: "missing or wrong credential" } }, 401);
    }
    let event: unknown;
    try {
      event = await c.req.json();
    } catch {
      return c.json({ error: { code: "INVALID_ARGUMENT", message: "body is not JSON" } }, 400);
    }
    if (isTestEvent(event)) return c.json({ outcomes: [] }, 200);
    let refs: ReturnType<typeof objectsFromS3Event>;
    try {
      refs = objectsFromS3Event(event, cfg.eventKeys);
    } catch (e) {
      return c.json({ error: { code: "INVALID_ARGUMENT", message: (e as Error).message } }, 400);
    }
    const outcomes = [];
    for (const ref of refs) outcomes.push(await handleObjectCreated(cfg, ref));
    const retry = outcomes.some((o) => o.status === "failed" && o.transient);
    if (retry) c.header("Retry-After", "30");
    return c.json({ outcomes }, retry ? 503 : 200);
  });
  return app;
}

export function hookConfigFromEnv(env = process.env) {
  const o = hookEnv(env);
  return {
    token: o.required("HOOKS_TOKEN"),
    port: o.integer("PORT", 0, 65535, 8789),
    host: o.text("HOST") ?? "127.0.0.1",
    cfg: hookCoreConfigFromEnv(env),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { cfg, token, port, host } = hookConfigFromEnv();
    serve({ fetch: createHookApp(cfg, token).fetch, port, hostname: host });
    console.error(`l3c hooks listening on :${port}`);
  } catch (e) {
    console.error(`l3c hooks: ${(e as Error).message}`);
    process.exit(2);
  }
}
