import { describe, expect, it } from "vitest";
import { digestMatches, formatSha256Digest, sha256Member } from "./attestation.js";

const sha = async (s: string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));

describe("encode attestation digests", () => {
  it("formats RFC 9530 sha-256 members (RFC 9530 appendix example)", async () => {
    // RFC 9530 §2 example: the SHA-256 of {"hello": "world"}\n
    expect(formatSha256Digest(await sha('{"hello": "world"}\n'))).toBe(
      "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",
    );
  });

  it("finds the sha-256 member among others and compares it", async () => {
    const d = await sha("x");
    const h = `sha-512=:AAAA:, ${formatSha256Digest(d)}`;
    expect(sha256Member(h)).toBe(formatSha256Digest(d).slice(9, -1));
    expect(digestMatches(h, d)).toBe(true);
    expect(digestMatches(h, await sha("y"))).toBe(false);
  });

  it.each([null, undefined, "", "sha-256=abc", "md5=:AAAA:", "sha-256=:not base64!:"])(
    "a missing or malformed header %s matches nothing",
    async (h) => {
      expect(sha256Member(h)).toBeUndefined();
      expect(digestMatches(h, await sha("x"))).toBe(false);
    },
  );

  it("refuses a digest that is not 32 bytes", () => {
    expect(() => formatSha256Digest(new Uint8Array(20))).toThrow("a SHA-256 digest has 32 bytes, not 20");
  });
});
