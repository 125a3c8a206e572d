import { describe, expect, it } from "vitest";
import { checkBearer } from "./bearer.js";

describe("checkBearer", () => {
  const token = "secret-token-0123456789";
  it.each([
    [`Bearer ${token}`, true],
    [`Bearer ${token}x`, false],
    [`Bearer ${token.slice(0, -1)}`, false],
    ["Bearer ", false],
    [`bearer ${token}`, false],
    [`Basic ${token}`, false],
    [token, false],
    [undefined, false],
  ])("%s -> %s", async (header, ok) => {
    expect(await checkBearer(header, token)).toBe(ok);
  });
});
