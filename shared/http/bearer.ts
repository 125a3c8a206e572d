/**
 * @module http/bearer
 * RFC 6750 bearer credentials, checked in constant time: both sides are hashed to equal
 * length (SHA-256) and compared without an early exit, so response time does not reveal
 * how much of a guess was right. Web Crypto only: the same in Node, workerd and browsers.
 */

const digest = async (s: string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));

/**
 * The scheme and the spaces after it. RFC 9110 §11.1: the auth scheme is
 * case-insensitive; §11.4: one or more spaces separate it from the credential.
 */
const SCHEME = /^bearer +/i;

/** True when `header` is `Bearer <token>`, the scheme in any case (`bearer`, `BEARER`). */
export async function checkBearer(header: string | undefined, token: string): Promise<boolean> {
  const scheme = header === undefined ? null : SCHEME.exec(header);
  if (!header || !scheme) return false;
  const credential = header.slice(scheme[0].length);
  if (!credential) return false;
  const [a, b] = await Promise.all([digest(credential), digest(token)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
