/**
 * @module sha256
 * SHA-256 with Web Crypto (`crypto.subtle`: Node, workerd and browsers alike), as bytes
 * or as lower-case hex: model ids, graph hashes, stream digests and attestations.
 */
import { toHex } from "./format.js";

export async function sha256(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
}

export async function sha256Hex(b: Uint8Array): Promise<string> {
  return toHex(await sha256(b));
}
