/**
 * @module variants
 * Which representation of an image the edge serves: `?codec=` when the request names
 * one, else the client's `Accept` (RFC 9110 §12.5.1). `image/vnd.l3c` only goes to a
 * client that names it explicitly with q > 0 (or asks `?codec=l3c`): every browser's
 * `<img>` Accept carries `image/*` and `*\/*`, and no browser decodes l3c.
 *
 * Among the decoded variants the client's q-values decide first; ties (browsers give
 * AVIF, WebP and, through `image/*`, PNG the same q = 1) go to the server's order,
 * best for lossless photos first (edge/README.md, measured on kodim23 through the
 * backend): WebP lossless (426 KB, 1.9 s), AVIF lossless (502 KB, 5.8 s: larger and
 * 3x slower to make on a miss), PNG (817 KB, the universal fallback).
 */

import { expectedMessage } from "../../shared/errors.js";
import { MEDIA_TYPE } from "../../shared/format.js";
import { negotiate } from "../../shared/http/accept.js";

/** Decoded variants in the server's order of preference (see the module doc). */
export const DECODED_VARIANTS = ["image/webp", "image/avif", "image/png"] as const;
/** Every variant; l3c first so that a client naming it at the top q gets it. */
export const VARIANTS = [MEDIA_TYPE, ...DECODED_VARIANTS] as const;
export type Variant = (typeof VARIANTS)[number];

/** `?codec=` values and the variant each forces. */
export const CODECS: Readonly<Record<string, Variant>> = Object.freeze({
  l3c: MEDIA_TYPE,
  webp: "image/webp",
  avif: "image/avif",
  png: "image/png",
});

export class VariantError extends Error {
  constructor(
    readonly status: 400 | 406,
    readonly code: "BAD_CODEC" | "NOT_ACCEPTABLE",
    message: string,
  ) {
    super(message);
  }
}

/** The variant to serve; throws VariantError (400 bad `?codec=`, 406 nothing acceptable). */
export function chooseVariant(accept: string | null | undefined, codec: string | null): Variant {
  if (codec !== null) {
    const forced = Object.hasOwn(CODECS, codec) ? CODECS[codec] : undefined;
    if (!forced) {
      throw new VariantError(
        400,
        "BAD_CODEC",
        expectedMessage("codec", `one of ${Object.keys(CODECS).join(", ")}`, codec),
      );
    }
    return forced;
  }
  const v = negotiate(accept, VARIANTS, { explicitOnly: [MEDIA_TYPE] }) as Variant | undefined;
  if (!v) throw new VariantError(406, "NOT_ACCEPTABLE", `Accept allows none of ${VARIANTS.join(", ")}`);
  return v;
}
