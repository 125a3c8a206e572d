/**
 * @module server
 * `npm run backend`: the encode/decode service on PORT (default 8788). Picks CUDA when
 * onnxruntime-node can create a CUDA session, else CPU, and says why (provider.ts); warms
 * the default model before reporting ready; on SIGTERM/SIGINT stops accepting, finishes
 * in-flight work, exits. A client has L3C_UPLOAD_TIMEOUT_MS to send its whole request
 * (then 408 and the connection closes), so slow senders hold no socket for long.
 */
import type { Server, ServerOptions } from "node:http";
import { serve } from "@hono/node-server";
import { Codec } from "../../node-codec/src/codec.js";
import { defaultModel, listModels, modelsDir, readGraph } from "../../node-codec/src/model-store.js";
import { createApp } from "./app.js";
import { type BackendConfig, ConfigError, loadConfig } from "./config.js";
import { CHECK_ROLE, chooseProvider, executionProviders, PROBE_ROLE } from "./provider.js";

/** Headers come in one write from our clients (the edge, the hooks): 10 s is ample. */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/**
 * Node's limits on receiving a request (its defaults hold a client that sends 1 byte/s
 * for 300 s): the whole request within uploadTimeoutMs, its headers within 10 s of that,
 * both then answered 408 and closed. They cover receiving only, not the coding that
 * follows (L3C_REQUEST_TIMEOUT_MS). Node checks them every connectionsCheckingInterval
 * (default 30 s), so that is set to a fraction of the timeout for it to hold.
 */
export function serverTimeouts(config: Pick<BackendConfig, "uploadTimeoutMs">): ServerOptions {
  const requestTimeout = config.uploadTimeoutMs;
  return {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeout / 4)),
  };
}

export async function start(env = process.env) {
  const config = loadConfig(env);
  const dir = config.modelsDir ?? modelsDir();
  const choice = await chooseProvider({
    runtime: config.runtime,
    cudaDisabled: env.L3C_DISABLE_CUDA === "1",
    probeGraph: () => readGraph(defaultModel(listModels(dir), dir), PROBE_ROLE),
    exactness: () => {
      // dec1 of the default model on a 16 x 16 input of every byte value, both forms.
      const m = defaultModel(listModels(dir), dir);
      const { C, Cf } = m.manifest.config as unknown as { C: number; Cf: number };
      const bytes = (n: number, k: number) =>
        Uint8Array.from({ length: n }, (_, i) => (i * k + (i >> 4)) & 255);
      return {
        intGraph: readGraph(m, CHECK_ROLE, "int"),
        floatGraph: readGraph(m, CHECK_ROLE, "float-exact"),
        feeds: {
          z1: { data: bytes(C * 256, 37), dims: [1, C, 16, 16] },
          f2: { data: bytes(Cf * 256, 101), dims: [1, Cf, 16, 16] },
        },
      };
    },
  });
  if (choice.reason) console.error(`l3c backend: CUDA not used: ${choice.reason}`);
  const codec = await Codec.create({
    runtime: config.runtime,
    core: config.core,
    threads: config.threads,
    modelsDir: config.modelsDir,
    workers: config.workers,
    graphForm: choice.graphForm,
    ...(choice.provider === "cuda" ? { executionProviders: executionProviders(choice) } : {}),
  });
  const svc = createApp({ config, codec, provider: choice });
  const server = serve({
    fetch: svc.app.fetch,
    port: config.port,
    hostname: config.host,
    serverOptions: serverTimeouts(config),
  });
  // Idle kept-alive connections close after this; Node announces it (Keep-Alive: timeout=5)
  // so clients such as undici close theirs first instead of reusing a closing socket.
  (server as Server).keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((r) => server.once("listening", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  // Warm the default model so the first request does not pay for session creation.
  await codec.warm(codec.model().id);
  svc.setReady(true);
  console.error(
    `l3c backend listening on http://${config.host}:${port} (${choice.provider}, ${choice.graphForm} graphs, core ${codec.core}, models: ${codec.models.length})`,
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
