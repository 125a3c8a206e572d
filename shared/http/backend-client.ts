/**
 * @module http/backend-client
 * The one client of the backend's HTTP API (`POST /v1/encode`, `POST /v1/decode`), used
 * by the edge and by the S3 hooks: the bearer credential, a timeout, and the integrity of
 * what comes back (a stream that does not match its Content-Digest, or an image of another
 * type than asked for, is never returned). Every failure is a {@link BackendCallError}
 * whose `kind` says what happened; each caller maps it once to its own policy (the edge:
 * {@link gatewayStatus}; the hooks: retry unless `rejected`). fetch and Web Crypto only:
 * the same in Node and workerd.
 */

import { sha256 } from "../sha256.js";
import {
  CONTENT_DIGEST_HEADER,
  digestMatches,
  SOURCE_DIGEST_HEADER,
  VERIFIED_HEADER,
  VERIFIED_PIXELS,
} from "./attestation.js";

export interface BackendTarget {
  /** Base URL of the backend (a trailing slash is ignored). */
  backendUrl: string;
  /** Its bearer credential (L3C_BACKEND_TOKEN). */
  backendToken: string;
  /** Per request, ms (default 300000: an encode verifies by decoding). */
  backendTimeoutMs?: number;
  /** The model encodes use, by name or id as the backend knows it (default: the backend's own). */
  model?: string;
}

/**
 * - `timeout`: no answer in time; `unreachable`: no connection (refused, reset, DNS);
 * - `overloaded`: 503 (queue full, shutting down; `retryAfter` as the backend said);
 * - `failed`: another 5xx; `rejected`: a 4xx (the request itself is wrong: not an image,
 *   too large, bad credential), the only kind that a retry cannot cure;
 * - `corrupt`: an answer cut short, not matching its Content-Digest, or of another type.
 */
export type BackendFailure = "timeout" | "unreachable" | "overloaded" | "failed" | "rejected" | "corrupt";

export class BackendCallError extends Error {
  override readonly name = "BackendCallError";
  constructor(
    readonly kind: BackendFailure,
    message: string,
    /** The backend's HTTP status, when it answered. */
    readonly status?: number,
    /** Seconds to wait before a retry, when known. */
    readonly retryAfter?: string,
    /** The backend's error code (its JSON body's `error.code`), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
  }

  /** Whether the same request may succeed later. */
  get transient(): boolean {
    return this.kind !== "rejected";
  }
}

/** A gateway's answer for a failed backend call (RFC 9110 §15.6: 502, 503, 504). */
export function gatewayStatus(e: BackendCallError): 502 | 503 | 504 {
  if (e.kind === "timeout") return 504;
  if (e.kind === "unreachable" || e.kind === "overloaded") return 503;
  return 502;
}

async function post(t: BackendTarget, path: string, body: Uint8Array, accept: string): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(t.backendUrl.replace(/\/+$/, "") + path, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${t.backendToken}`, Accept: accept },
      signal: AbortSignal.timeout(t.backendTimeoutMs ?? 300_000),
    });
  } catch (e) {
    const name = (e as Error).name;
    if (name === "TimeoutError" || name === "AbortError")
      throw new BackendCallError("timeout", "backend timed out");
    throw new BackendCallError("unreachable", `backend unreachable: ${(e as Error).message}`, undefined, "5");
  }
  if (r.status === 200) return r;
  const text = (await r.text().catch(() => "")).slice(0, 300);
  const message = `backend answered ${r.status}: ${text}`;
  const code = errorCode(text);
  if (r.status === 503)
    throw new BackendCallError("overloaded", message, 503, r.headers.get("Retry-After") ?? "1", code);
  throw new BackendCallError(r.status >= 500 ? "failed" : "rejected", message, r.status, undefined, code);
}

/** `error.code` of the backend's JSON error body, if it is one. */
function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

async function bytesOf(r: Response, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    throw new BackendCallError(
      "corrupt",
      `backend ${what} answer cut short: ${(e as Error).message}`,
      r.status,
    );
  }
}

export interface EncodeAnswer {
  stream: Uint8Array;
  /** X-L3C-Model: the id of the model that coded it ("" when absent). */
  model: string;
  /** The backend claims to have verified the stream (X-L3C-Verified: pixels). */
  attested: boolean;
  /**
   * The claim holds for these bytes: both digests are present and match the stream
   * received and the image sent (shared/http/attestation.ts). Only such a stream may be
   * stored without decoding it again.
   */
  verified: boolean;
  /** Why an attested stream is not verified. */
  problem?: string;
}

/** The stream for `image` (any format the backend reads), with its attestation checked. */
export async function backendEncode(t: BackendTarget, image: Uint8Array): Promise<EncodeAnswer> {
  const query = t.model ? `?model=${encodeURIComponent(t.model)}` : "";
  const r = await post(t, `/v1/encode${query}`, image, "image/vnd.l3c");
  const stream = await bytesOf(r, "encode");
  const digest = r.headers.get(CONTENT_DIGEST_HEADER);
  if (digest && !digestMatches(digest, await sha256(stream)))
    throw new BackendCallError(
      "corrupt",
      "backend answer corrupted: the stream does not match its Content-Digest",
    );
  const model = r.headers.get("X-L3C-Model") ?? "";
  const attested = r.headers.get(VERIFIED_HEADER) === VERIFIED_PIXELS;
  if (!attested) return { stream, model, attested, verified: false };
  const problem = !digest
    ? "backend attested a stream without its Content-Digest"
    : !digestMatches(r.headers.get(SOURCE_DIGEST_HEADER), await sha256(image))
      ? "backend verified another image: X-L3C-Source-Digest differs from the original"
      : undefined;
  return { stream, model, attested, verified: !problem, ...(problem ? { problem } : {}) };
}

/** The image a stream decodes to, as `type` (image/png, image/webp or image/avif). */
export function backendDecode(t: BackendTarget, stream: Uint8Array, type: string): Promise<Uint8Array> {
  return imageAnswer(t, "/v1/decode", stream, type);
}

/**
 * An image (any format the backend reads) converted losslessly to `type` (image/png,
 * image/webp or image/avif): the same pixels, without an l3c encode.
 */
export function backendConvert(t: BackendTarget, image: Uint8Array, type: string): Promise<Uint8Array> {
  return imageAnswer(t, "/v1/convert", image, type);
}

/**
 * An image answer, checked: of the type asked for, matching its Content-Digest when it
 * has one, and, for JPEG XL (made by an external encoder), attested as decoded again to
 * the pixels (X-L3C-Verified: pixels) with a digest: an unchecked JPEG XL is never returned.
 */
async function imageAnswer(t: BackendTarget, path: string, body: Uint8Array, type: string) {
  const r = await post(t, path, body, type);
  const got = r.headers.get("Content-Type");
  if (got !== type) {
    await r.body?.cancel().catch(() => undefined);
    throw new BackendCallError("corrupt", `backend answered ${got} for ${type}`, r.status);
  }
  const out = await bytesOf(r, path.slice(4));
  const digest = r.headers.get(CONTENT_DIGEST_HEADER);
  if (digest && !digestMatches(digest, await sha256(out)))
    throw new BackendCallError(
      "corrupt",
      `backend ${type} answer does not match its Content-Digest`,
      r.status,
    );
  if (type === "image/jxl" && (!digest || r.headers.get(VERIFIED_HEADER) !== VERIFIED_PIXELS))
    throw new BackendCallError("corrupt", "backend JPEG XL answer is not attested lossless", r.status);
  return out;
}
