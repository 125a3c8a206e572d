import { describe, expect, it } from "vitest";
import { negotiate, quality } from "./accept.js";

const OFFERS = ["image/vnd.l3c", "image/avif", "image/webp", "image/png"];

describe("Accept negotiation (RFC 9110 §12.5.1)", () => {
  it.each([
    [undefined, "image/vnd.l3c"],
    ["", "image/vnd.l3c"],
    ["image/png", "image/png"],
    ["image/webp,image/png;q=0.9", "image/webp"],
    ["image/avif,image/webp,*/*;q=0.8", "image/avif"],
    ["image/*", "image/vnd.l3c"],
    ["image/*;q=0.5, image/png", "image/png"],
    ["image/*, image/vnd.l3c;q=0", "image/avif"],
    ["text/html", undefined],
    ["image/png;q=0", undefined],
    ["IMAGE/PNG", "image/png"],
    ["image/webp;q=0.8, image/png;q=0.8", "image/webp"],
    ["*/*;q=0.1, image/png;q=0.2", "image/png"],
    ["image/png;q=abc", undefined],
    ["garbage, image/webp", "image/webp"],
  ])("Accept %j -> %s", (accept, want) => {
    expect(negotiate(accept, OFFERS)).toBe(want);
  });

  it("the most specific range decides", () => {
    expect(quality("image/*;q=0.5, image/png;q=0.1", "image/png")).toBe(0.1);
    expect(quality("*/*;q=0.3, image/*;q=0.6", "image/webp")).toBe(0.6);
  });
});

describe("explicit-only offers", () => {
  const opts = { explicitOnly: ["image/vnd.l3c"] };
  it.each([
    [undefined, "image/avif"],
    ["*/*", "image/avif"],
    ["image/*", "image/avif"],
    ["image/*, image/vnd.l3c;q=0.1", "image/avif"],
    ["image/vnd.l3c", "image/vnd.l3c"],
    ["image/vnd.l3c;q=0", undefined],
    ["Image/Vnd.L3C;q=0.4, text/html", "image/vnd.l3c"],
  ])("Accept %j -> %s", (accept, want) => {
    expect(negotiate(accept, OFFERS, opts)).toBe(want);
  });

  it("quality with explicit ignores wildcards", () => {
    expect(quality("*/*", "image/vnd.l3c", true)).toBe(0);
    expect(quality("image/*", "image/vnd.l3c", true)).toBe(0);
    expect(quality(undefined, "image/vnd.l3c", true)).toBe(0);
    expect(quality("image/vnd.l3c;q=0.3", "image/vnd.l3c", true)).toBe(0.3);
  });
});
