/**
 * @module hooks/backend-client
 * The hook's calls to the backend, and the check that a stream is verified before it is
 * stored. The backend's /v1/encode decodes every stream it returns and compares it with
 * the pixels of the request (verify-on-encode), and attests that with digests of both
 * bodies (shared/http/attestation.ts). The hook checks the digests against the bytes it
 * sent and received: then the stream it holds is the verified one, for its image, and a
 * second decode would repeat that same check with the same decoder for nothing (issue 13,
 * item 4; the measurement is in infra/README.md). Without an attestation (an older
 * backend), or with verify "decode", the hook decodes the stream through the backend
 * again and compares the pixels with its own decoding of the original.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { L3cError } from "../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import {
  CONTENT_DIGEST_HEADER,
  digestMatches,
  SOURCE_DIGEST_HEADER,
  VERIFIED_HEADER,
  VERIFIED_PIXELS,
} from "../../shared/http/attestation.js";
import { PermanentError, TransientError } from "./errors.js";

export interface BackendTarget {
  backendUrl: string;
  backendToken: string;
  backendTimeoutMs?: number;
}

/** backend: trust the backend's attested verification; decode: verify again here too. */
export type VerifyMode = "backend" | "decode";

export interface VerifiedStream {
  stream: Uint8Array;
  model: string;
  header: ReturnType<typeof parseHeader>;
  /** Who verified it: the backend (attested) or, in addition, this hook (decode). */
  verifiedBy: "backend" | "decode";
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
    throw new TransientError(`backend unreachable: ${(e as Error).message}`);
  }
  if (r.status === 200) return r;
  const text = (await r.text().catch(() => "")).slice(0, 300);
  if (r.status >= 500) throw new TransientError(`backend ${r.status}: ${text}`);
  throw new PermanentError(`backend ${r.status}: ${text}`);
}

async function body(r: Response, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    throw new TransientError(`backend ${what} answer cut short: ${(e as Error).message}`);
  }
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** Pixels of an image as sharp decodes it (the original, or the backend's PNG). */
const rawPixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();

/**
 * Encodes `original` through the backend and returns a stream that is known to decode
 * to its pixels; throws TransientError for anything short of that (never store it).
 */
export async function encodeVerified(
  t: BackendTarget,
  original: Uint8Array,
  mode: VerifyMode = "backend",
): Promise<VerifiedStream> {
  const r = await post(t, "/v1/encode", original, MEDIA_TYPE);
  const stream = await body(r, "encode");
  const model = r.headers.get("X-L3C-Model") ?? "";
  const attested = r.headers.get(VERIFIED_HEADER) === VERIFIED_PIXELS;
  if (attested) {
    if (!digestMatches(r.headers.get(CONTENT_DIGEST_HEADER), sha256(stream)))
      throw new TransientError("backend answer corrupted: the stream does not match its Content-Digest");
    if (!digestMatches(r.headers.get(SOURCE_DIGEST_HEADER), sha256(original)))
      throw new TransientError(
        "backend verified another image: X-L3C-Source-Digest differs from the original",
      );
  }
  let header: ReturnType<typeof parseHeader>;
  try {
    header = parseHeader(stream);
  } catch (e) {
    throw new TransientError(`backend returned an invalid stream: ${(e as L3cError).describe?.() ?? e}`);
  }
  if (attested && mode === "backend") return { stream, model, header, verifiedBy: "backend" };
  const dec = await post(t, "/v1/decode", stream, "image/png").catch((e) => {
    if (e instanceof PermanentError) throw new TransientError(`verification decode failed: ${e.message}`);
    throw e;
  });
  const [a, b] = await Promise.all([rawPixels(await body(dec, "decode")), rawPixels(original)]);
  if (!a.equals(b)) throw new TransientError("verification failed: decoded pixels differ from the original");
  return { stream, model, header, verifiedBy: "decode" };
}
