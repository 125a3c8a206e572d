/**
 * @module streams
 * The stored `<key>.l3c` as the edge judges it before serving: intact (its header parses
 * and, when its metadata carries `l3c-sha256`, its bytes hash to it), and fresh (its
 * `source-etag` is still the original's ETag). Also the ETags of what is made from a key,
 * which HEAD, GET and the flight must compute alike.
 */

import { L3cError } from "../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import { sha256Hex } from "../../shared/sha256.js";
import type { Origin, OriginObject } from "./origin.js";

/** Metadata of a stored stream: the SHA-256 (hex) of its bytes, written by the edge and the hooks. */
export const STREAM_SHA256 = "l3c-sha256";

/** The hex SHA-256 of `text` (an ETag of the original), which names it inside our own ETags. */
export function tagOf(text: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(text));
}

/**
 * The ETag of a variant from a hex tag (its first 32 digits). The stream's is strong (its
 * bytes' SHA-256); a decoded image's is weak and names its pixels, which are the
 * original's: the same whether it was converted from the original or decoded from the
 * stream (encoders' bytes may vary, the pixels do not).
 */
export function variantEtag(variant: string, hex: string): string {
  const tag = hex.slice(0, 32);
  return variant === MEDIA_TYPE ? `"l3c-${tag}"` : `W/"${variant.slice(6)}-${tag}"`;
}

/** The pixels' tag of a stored stream: its original's ETag when it names one, else its bytes. */
export async function pixelsTag(stored: OriginObject, streamSha256: string): Promise<string> {
  const source = stored.metadata["source-etag"];
  return source ? tagOf(source) : streamSha256;
}

/** Whether a whole stored stream may be served: its header parses and its digest matches. */
export async function intactStream(
  stored: OriginObject,
): Promise<{ ok: boolean; sha256: string; why?: string }> {
  const sha256 = await sha256Hex(stored.body);
  try {
    parseHeader(stored.body);
  } catch (e) {
    if (!(e instanceof L3cError)) throw e;
    return { ok: false, sha256, why: e.code };
  }
  const want = stored.metadata[STREAM_SHA256];
  if (want && want.toLowerCase() !== sha256) return { ok: false, sha256, why: "digest mismatch" };
  return { ok: true, sha256 };
}

/**
 * Where the original stands for a stored stream: `fresh` (still the one it was encoded
 * from, or not named by the stream), `stale` (overwritten since: encode again) or `orphan`
 * (gone: the stream may be the only copy). `original` is a one-byte read of it (its ETag), or null.
 */
export async function freshness(
  origin: Origin,
  bucket: string,
  key: string,
  stored: OriginObject,
): Promise<{ state: "fresh" | "stale" | "orphan"; original: OriginObject | null }> {
  const source = stored.metadata["source-etag"];
  const original = await origin.get(bucket, key, { prefix: 1 });
  if (!original) return { state: "orphan", original };
  if (!source) return { state: "fresh", original }; // written before source ETags were kept
  return { state: original.etag === source ? "fresh" : "stale", original };
}
