/**
 * @module hooks/verified-stream
 * The check that a stream is verified before the hook stores it. The backend's
 * /v1/encode decodes every stream it returns and compares it with the pixels of the
 * request (verify-on-encode), and attests that with digests of both bodies
 * (shared/http/attestation.ts); the backend client (shared/http/backend-client.ts) checks
 * the digests against the bytes sent and received: then the stream held is the verified
 * one, for its image, and a second decode would repeat that same check with the same
 * decoder for nothing (the measurement is in infra/README.md). Without
 * an attestation (an older backend), or with verify "decode", the hook decodes the stream
 * through the backend again and compares the pixels with its own decoding of the original.
 */
import sharp from "sharp";
import type { L3cError } from "../../shared/errors.js";
import { parseHeader } from "../../shared/format.js";
import {
  BackendCallError,
  type BackendTarget,
  backendDecode,
  backendEncode,
} from "../../shared/http/backend-client.js";
import { PermanentError, TransientError } from "./errors.js";

/** backend: trust the backend's attested verification; decode: verify again here too. */
export type VerifyMode = "backend" | "decode";

export interface VerifiedStream {
  stream: Uint8Array;
  model: string;
  header: ReturnType<typeof parseHeader>;
  /** Who verified it: the backend (attested) or, in addition, this hook (decode). */
  verifiedBy: "backend" | "decode";
}

/** A failed backend call as the hook's failure: only a rejected request is permanent. */
function hookFailure(e: unknown): unknown {
  if (!(e instanceof BackendCallError)) return e;
  return e.transient ? new TransientError(e.message) : new PermanentError(e.message, e.status);
}

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
  const r = await backendEncode(t, original).catch((e) => {
    throw hookFailure(e);
  });
  if (r.attested && !r.verified) throw new TransientError(r.problem);
  let header: ReturnType<typeof parseHeader>;
  try {
    header = parseHeader(r.stream);
  } catch (e) {
    throw new TransientError(`backend returned an invalid stream: ${(e as L3cError).describe?.() ?? e}`);
  }
  const { stream, model } = r;
  if (r.verified && mode === "backend") return { stream, model, header, verifiedBy: "backend" };
  const png = await backendDecode(t, stream, "image/png").catch((e) => {
    const f = hookFailure(e);
    if (f instanceof PermanentError) throw new TransientError(`verification decode failed: ${f.message}`);
    throw f;
  });
  const [a, b] = await Promise.all([rawPixels(png), rawPixels(original)]);
  if (!a.equals(b)) throw new TransientError("verification failed: decoded pixels differ from the original");
  return { stream, model, header, verifiedBy: "decode" };
}
