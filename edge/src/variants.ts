/**
 * @module variants
 * Which representation of an image the edge serves: `?codec=` when the request names
 * one, else the client's `Accept` (RFC 9110 §12.5.1). `image/vnd.l3c` and `image/jxl`
 * only go to a client that names them explicitly with q > 0 (or asks `?codec=`): every
 * browser's `<img>` Accept carries `image/*` and `*\/*`, and no browser decodes l3c,
 * nor does every browser decode JPEG XL.
 *
 * Among the decoded variants the client's q-values decide first; ties (browsers give
 * JPEG XL, AVIF, WebP and, through `image/*`, PNG the same q = 1) go to the server's
 * order, smallest lossless photo first (edge/README.md, kodim23): JPEG XL (382 KB), WebP
 * lossless (426 KB), AVIF lossless (502 KB, and 3x slower to make than WebP), PNG
 * (817 KB, the universal fallback).
 */

import { expectedMessage } from "../../shared/errors.js";
import { MEDIA_TYPE } from "../../shared/format.js";
import { negotiate } from "../../shared/http/accept.js";

/** Decoded variants in the server's order of preference (see the module doc). */
export const DECODED_VARIANTS = ["image/jxl", "image/webp", "image/avif", "image/png"] as const;
/** Every variant; l3c first so that a client naming it at the top q gets it. */
export const VARIANTS = [MEDIA_TYPE, ...DECODED_VARIANTS] as const;
export type Variant = (typeof VARIANTS)[number];

/** `?codec=` values and the variant each forces. */
export const CODECS: Readonly<Record<string, Variant>> = Object.freeze({
  l3c: MEDIA_TYPE,
  jxl: "image/jxl",
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
  const v = negotiate(accept, VARIANTS, { explicitOnly: [MEDIA_TYPE, "image/jxl"] }) as Variant | undefined;
  if (!v) throw new VariantError(406, "NOT_ACCEPTABLE", `Accept allows none of ${VARIANTS.join(", ")}`);
  return v;
}
