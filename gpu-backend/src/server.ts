/**
 * @module server
 * `npm run backend`: the encode/decode service on PORT (default 8788). Picks CUDA when
 * onnxruntime-node can create a CUDA session, else CPU, and says why (provider.ts); warms
 * the default model before reporting ready; on SIGTERM/SIGINT stops accepting, finishes
 * in-flight work, exits.
 */
import { serve } from "@hono/node-server";
import { Codec } from "../../node-codec/src/codec.js";
import { defaultModel, listModels, modelsDir, readGraph } from "../../node-codec/src/model-store.js";
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { chooseProvider, PROBE_ROLE } from "./provider.js";

export async function start(env = process.env) {
  const config = loadConfig(env);
  const dir = config.modelsDir ?? modelsDir();
  const choice = await chooseProvider({
    runtime: config.runtime,
    cudaDisabled: env.L3C_DISABLE_CUDA === "1",
    probeGraph: () => readGraph(defaultModel(listModels(dir), dir), PROBE_ROLE),
  });
  if (choice.reason) console.error(`l3c backend: CUDA not used: ${choice.reason}`);
  const codec = await Codec.create({
    runtime: config.runtime,
    core: config.core,
    threads: config.threads,
    modelsDir: config.modelsDir,
    workers: config.workers,
    ...(choice.provider === "cuda" ? { executionProviders: ["cuda", "cpu"] } : {}),
  });
  const svc = createApp({ config, codec, provider: choice });
  const server = serve({ fetch: svc.app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  // Warm the default model so the first request does not pay for session creation.
  await codec.warm(codec.model().id);
  svc.setReady(true);
  console.error(
    `l3c backend listening on http://${config.host}:${port} (${choice.provider}, core ${codec.core}, models: ${codec.models.length})`,
  );
  const stop = async () => {
    await svc.drain();
    await new Promise<void>((r) => server.close(() => r()));
    await codec.close();
  };
  return { port, stop, svc };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const s = await start();
    let stopping = false;
    const onSignal = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`${sig}: finishing in-flight work`);
      await s.stop();
      process.exit(0);
    };
    process.on("SIGTERM", () => void onSignal("SIGTERM"));
    process.on("SIGINT", () => void onSignal("SIGINT"));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`l3c backend: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}
