/**
 * The real backend (gpu-backend/) in this process on a free loopback port, with the tiny
 * fixture model, two tile workers and CUDA off: what the cross-tier tests talk to.
 */
import { createServer, type Server } from "node:http";
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

/**
 * A proxy in front of the backend on `port` that hands every /v1/encode answer (or the
 * answers of `routes`) to `rewrite` (its body and headers, to change in place) before passing it on: corrupted
 * or unattested answers, as a faulty network or an older backend would give; with
 * `encodeDelayMs`, an encode as slow as a big photo's.
 */
export async function startBackendProxy(
  port: number,
  rewrite: (body: Buffer, headers: Record<string, string>) => void,
  opts: {
    /** Ms to hold each /v1/encode request before passing it on (a slow encode of a big photo). */
    encodeDelayMs?: number;
    /** The routes whose answers `rewrite` sees (default /v1/encode). */
    routes?: string[];
  } = {},
) {
  const { encodeDelayMs = 0, routes = ["/v1/encode"] } = opts;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (encodeDelayMs && req.url?.startsWith("/v1/encode"))
      await new Promise((r) => setTimeout(r, encodeDelayMs));
    const r = await fetch(`http://127.0.0.1:${port}${req.url}`, {
      method: req.method,
      body: Buffer.concat(chunks),
      headers: { Authorization: String(req.headers.authorization), Accept: String(req.headers.accept) },
    });
    const body = Buffer.from(await r.arrayBuffer());
    const headers: Record<string, string> = {};
    r.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "transfer-encoding") headers[k] = v;
    });
    if (routes.some((p) => req.url?.startsWith(p))) rewrite(body, headers);
    res.writeHead(r.status, headers);
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const proxyPort = (server.address() as { port: number }).port;
  return { port: proxyPort, url: `http://127.0.0.1:${proxyPort}`, close: () => server.close() };
}
