/**
 * @module server
 * `npm run backend`: the encode/decode service on PORT (default 8788). Picks CUDA when
 * onnxruntime-node can create a CUDA session, else CPU; warms the default model before
 * reporting ready; on SIGTERM/SIGINT stops accepting, finishes in-flight work, exits.
 */
import { serve } from "@hono/node-server";
import { Codec } from "../../node-codec/src/codec.js";
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

/**
 * "cuda" when onnxruntime-node can really create a CUDA session (the binding lists CUDA
 * even when the CUDA libraries are missing, so a session is attempted), else "cpu".
 */
async function detectProvider(
  runtime: "node" | "wasm",
  disabled: boolean,
  probeGraph: () => Promise<Uint8Array>,
): Promise<string> {
  if (runtime === "wasm") return "wasm";
  if (disabled) return "cpu";
  try {
    const ort = await import("onnxruntime-node");
    const s = await ort.InferenceSession.create(await probeGraph(), { executionProviders: ["cuda"] });
    await s.release();
    return "cuda";
  } catch {
    return "cpu";
  }
}

export async function start(env = process.env) {
  const config = loadConfig(env);
  const cpu = await Codec.create({
    runtime: config.runtime,
    threads: config.threads,
    modelsDir: config.modelsDir,
    workers: config.workers,
  });
  const entry = cpu.model();
  const provider = await detectProvider(config.runtime, env.L3C_DISABLE_CUDA === "1", async () => {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(`${entry.dir}/${entry.manifest.files.head0.file}`));
  });
  let codec = cpu;
  if (provider === "cuda") {
    await cpu.close();
    codec = await Codec.create({
      runtime: "node",
      threads: config.threads,
      modelsDir: config.modelsDir,
      executionProviders: ["cuda", "cpu"],
      workers: config.workers,
    });
  }
  const svc = createApp({ config, codec, executionProvider: provider });
  const server = serve({ fetch: svc.app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  // Warm the default model so the first request does not pay for session creation.
  await codec.warm(codec.model().id);
  svc.setReady(true);
  console.error(
    `l3c backend listening on http://${config.host}:${port} (${provider}, models: ${codec.store.entries.length})`,
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
