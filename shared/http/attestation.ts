/**
 * @module attestation
 * How the backend tells a caller that the stream it answers `/v1/encode` with was
 * verified, so that the caller need not decode it again:
 *
 *   X-L3C-Verified: pixels            the backend decoded these exact stream bytes and they
 *                                     gave the pixels it read from the request body
 *   Content-Digest: sha-256=:<b64>:   SHA-256 of the response body (RFC 9530 §2)
 *   X-L3C-Source-Digest: sha-256=:<b64>:  SHA-256 of the request body it encoded
 *
 * A caller that checks both digests against the bytes it sent and received knows that the
 * stream it holds is the one that was verified, for the image it sent: the verification
 * survives the trip. Hashing is the caller's (node:crypto, WebCrypto); this module only
 * formats and parses, so it runs anywhere.
 */

export const VERIFIED_HEADER = "X-L3C-Verified";
export const VERIFIED_PIXELS = "pixels";
export const CONTENT_DIGEST_HEADER = "Content-Digest";
export const SOURCE_DIGEST_HEADER = "X-L3C-Source-Digest";

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** `sha-256=:<base64>:` (an RFC 9530 dictionary with one member) of a 32-byte digest. */
export function formatSha256Digest(digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError(`a SHA-256 digest has 32 bytes, not ${digest.length}`);
  return `sha-256=:${base64(digest)}:`;
}

/** The base64 SHA-256 member of a Content-Digest style header, or undefined. */
export function sha256Member(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const m = /^\s*sha-256\s*=\s*:([A-Za-z0-9+/]+=*):\s*$/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** True when the header carries a SHA-256 member equal to this digest. */
export function digestMatches(header: string | null | undefined, digest: Uint8Array): boolean {
  const member = sha256Member(header);
  return member !== undefined && digest.length === 32 && member === base64(digest);
}
