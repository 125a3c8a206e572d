/**
 * The real backend (gpu-backend/) in this process on a free loopback port, with the tiny
 * fixture model, two tile workers and CUDA off: what the cross-tier tests talk to.
 */
import { join } from "node:path";
import { start } from "../../gpu-backend/src/server.js";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The bearer credential of the test backend (the edge, the hooks and bulk present it). */
export const TOKEN = "edge-test-token-0123456789";

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

/** Sum of the backend's l3c_requests_total for a route (how often it was called). */
export async function backendCalls(port: number, route: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`l3c_requests_total{route="${route}"`)) n += Number(line.split(" ").pop());
  }
  return n;
}
