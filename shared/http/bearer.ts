/**
 * @module http/bearer
 * RFC 6750 bearer credentials, checked in constant time: both sides are hashed to equal
 * length (SHA-256) and compared without an early exit, so response time does not reveal
 * how much of a guess was right. Web Crypto only: the same in Node, workerd and browsers.
 */

const digest = async (s: string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));

/** True when `header` is `Bearer <token>` (the scheme is case-sensitive here, as it always was). */
export async function checkBearer(header: string | undefined, token: string): Promise<boolean> {
  if (!header?.startsWith("Bearer ")) return false;
  const [a, b] = await Promise.all([digest(header.slice(7)), digest(token)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
