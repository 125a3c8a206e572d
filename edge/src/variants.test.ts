import { describe, expect, it } from "vitest";
import { BROWSER_ACCEPT, negotiatedFor } from "../../test/helpers/browser-accept.js";
import { chooseVariant, VariantError } from "./variants.js";

describe("variant choice: real clients never get l3c unless they name it", () => {
  it.each(Object.entries(BROWSER_ACCEPT).map(([client, accept]) => [client, negotiatedFor(accept), accept]))(
    "%s -> %s",
    (_client, want, accept) => {
      expect(chooseVariant(accept, null)).toBe(want);
    },
  );

  it("JPEG XL goes to Chromium 156 and Safari, never through a wildcard", () => {
    expect(negotiatedFor(BROWSER_ACCEPT["Chromium 156 <img>"])).toBe("image/jxl");
    expect(negotiatedFor(BROWSER_ACCEPT["Safari <img>"])).toBe("image/jxl");
    expect(negotiatedFor(BROWSER_ACCEPT["Firefox <img>"])).toBe("image/webp");
    expect(negotiatedFor(BROWSER_ACCEPT["curl default"])).toBe("image/webp");
  });

  it.each([
    [undefined, "image/webp"],
    ["", "image/webp"],
    ["image/*", "image/webp"],
    ["*/*", "image/webp"],
    ["image/vnd.l3c", "image/vnd.l3c"],
    ["image/vnd.l3c, */*;q=0.1", "image/vnd.l3c"],
    ["image/vnd.l3c;q=0.5, image/webp", "image/webp"],
    ["image/webp, image/vnd.l3c", "image/vnd.l3c"],
    ["image/vnd.l3c;q=0, image/*", "image/webp"],
    ["IMAGE/VND.L3C", "image/vnd.l3c"],
    ["image/avif", "image/avif"],
    ["image/avif,image/webp;q=0.9", "image/avif"],
    ["image/png", "image/png"],
    ["image/png, image/*;q=0.5", "image/png"],
    ["image/webp;q=0, image/*", "image/avif"],
    ["image/jxl", "image/jxl"],
    ["image/jxl, image/webp", "image/jxl"],
    ["image/webp, image/jxl;q=0.9", "image/webp"],
    ["image/jxl;q=0, image/*", "image/webp"],
  ])("Accept %j -> %s", (accept, want) => {
    expect(chooseVariant(accept, null)).toBe(want);
  });

  it.each([
    ["l3c", "image/vnd.l3c"],
    ["jxl", "image/jxl"],
    ["webp", "image/webp"],
    ["avif", "image/avif"],
    ["png", "image/png"],
  ])("?codec=%s forces %s whatever the Accept", (codec, want) => {
    expect(chooseVariant("text/html", codec)).toBe(want);
  });

  it("answers 406 when Accept allows none, 400 for an unknown codec", () => {
    for (const accept of ["text/html", "image/vnd.l3c;q=0", "image/gif"]) {
      expect(() => chooseVariant(accept, null)).toThrow(
        new VariantError(
          406,
          "NOT_ACCEPTABLE",
          "Accept allows none of image/vnd.l3c, image/jxl, image/webp, image/avif, image/png",
        ),
      );
    }
    for (const codec of ["jpeg", "", "toString", "__proto__"]) {
      let err: unknown;
      try {
        chooseVariant("*/*", codec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VariantError);
      expect((err as VariantError).status).toBe(400);
      expect((err as VariantError).message).toBe(
        `Expected one of l3c, jxl, webp, avif, png for codec but received ${codec} of type string`,
      );
    }
  });
});
