/**
 * @module auth
 * Bearer-token check in constant time (both sides hashed to equal length first, then
 * `timingSafeEqual`), so response time does not reveal how much of a guess was right.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function checkBearer(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice(7)), digest(token));
}
