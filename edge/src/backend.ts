/**
 * @module backend
 * Calls to the gpu-backend, authenticated with the edge's bearer credential. Failures
 * become typed BackendErrors that the app maps to 502 (bad answer), 503 (overloaded or
 * unreachable, with Retry-After) or 504 (timeout).
 */

import {
  CONTENT_DIGEST_HEADER,
  digestMatches,
  SOURCE_DIGEST_HEADER,
  VERIFIED_HEADER,
  VERIFIED_PIXELS,
} from "../../shared/http/attestation.js";
import type { EdgeConfig } from "./config.js";

export class BackendError extends Error {
  constructor(
    readonly status: 502 | 503 | 504,
    message: string,
    readonly retryAfter?: string,
  ) {
    super(message);
  }
}

async function call(cfg: EdgeConfig, path: string, body: Uint8Array, accept: string): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(cfg.backendUrl + path, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${cfg.backendToken}`, Accept: accept },
      signal: AbortSignal.timeout(cfg.backendTimeoutMs),
    });
  } catch (e) {
    const name = (e as Error).name;
    if (name === "TimeoutError" || name === "AbortError") throw new BackendError(504, "backend timed out");
    throw new BackendError(503, "backend unreachable", "5");
  }
  if (r.status === 503)
    throw new BackendError(503, "backend overloaded", r.headers.get("Retry-After") ?? "1");
  if (r.status !== 200) {
    const text = await r.text().catch(() => "");
    throw new BackendError(502, `backend answered ${r.status}: ${text.slice(0, 200)}`);
  }
  return r;
}

const sha256 = async (b: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));

/**
 * The stream for `image`. `verified`: the backend attests that it decoded this stream to
 * the image's pixels, and both digests match the bytes sent and received
 * (shared/http/attestation.ts); only such a stream may be stored. A stream that does not
 * match its own Content-Digest was corrupted on the way: an error, never served.
 */
export async function backendEncode(
  cfg: EdgeConfig,
  image: Uint8Array,
): Promise<{ stream: Uint8Array; model: string; verified: boolean }> {
  const r = await call(cfg, "/v1/encode", image, "image/vnd.l3c");
  const stream = new Uint8Array(await r.arrayBuffer());
  const digest = r.headers.get(CONTENT_DIGEST_HEADER);
  if (digest && !digestMatches(digest, await sha256(stream)))
    throw new BackendError(502, "backend answer does not match its Content-Digest");
  const verified =
    r.headers.get(VERIFIED_HEADER) === VERIFIED_PIXELS &&
    digest !== null &&
    digestMatches(r.headers.get(SOURCE_DIGEST_HEADER), await sha256(image));
  return { stream, model: r.headers.get("X-L3C-Model") ?? "", verified };
}

export async function backendDecode(cfg: EdgeConfig, stream: Uint8Array, type: string): Promise<Uint8Array> {
  const r = await call(cfg, "/v1/decode", stream, type);
  if (r.headers.get("Content-Type") !== type) throw new BackendError(502, "backend answered another type");
  return new Uint8Array(await r.arrayBuffer());
}
