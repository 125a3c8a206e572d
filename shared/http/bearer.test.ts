import { describe, expect, it } from "vitest";
import { checkBearer } from "./bearer.js";

describe("checkBearer", () => {
  const token = "secret-token-0123456789";
  it.each([
    [`Bearer ${token}`, true],
    [`Bearer ${token}x`, false],
    [`Bearer ${token.slice(0, -1)}`, false],
    ["Bearer ", false],
    [`Basic ${token}`, false],
    [`Bearer${token}`, false],
    [`Bearer ${token.toUpperCase()}`, false],
    [`xBearer ${token}`, false],
    [token, false],
    [undefined, false],
  ])("%s -> %s", async (header, ok) => {
    expect(await checkBearer(header, token)).toBe(ok);
  });

  // RFC 9110 §11.1: the scheme is case-insensitive; §11.4: 1*SP before the credential.
  it.each([`bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer   ${token}`])(
    "accepts the scheme in any case and several spaces: %s",
    async (header) => {
      expect(await checkBearer(header, token)).toBe(true);
    },
  );

  it("refuses an empty credential even for an empty token", async () => {
    expect(await checkBearer("Bearer ", "")).toBe(false);
  });
});
