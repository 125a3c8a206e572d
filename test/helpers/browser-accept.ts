/**
 * @module browser-accept
 * The Accept headers real clients send, for tests and benchmarks: each browser's for
 * `<img>` and for navigation, `fetch()`'s default and curl's and wget's. Sources:
 * Chromium 156 measured here (test/web/browser.test.ts asserts it again on every run),
 * the others as documented by MDN ("List of default Accept values") and their vendors.
 */
export const BROWSER_ACCEPT = {
  "Chromium 156 <img>": "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "Chrome <img>": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "Firefox <img>": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "Firefox 92-127 <img>": "image/avif,image/webp,*/*",
  "Safari <img>":
    "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "Chromium 156 navigation":
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
  "Chrome navigation":
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
  "Firefox navigation": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "Firefox 92-127 navigation":
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "Safari navigation": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "fetch() default": "*/*",
  "curl default": "*/*",
  "wget default": "*/*",
} as const;

/** What the edge serves a client with this Accept: JPEG XL to those that name it, else WebP. */
export function negotiatedFor(accept: string): "image/jxl" | "image/webp" {
  return /(^|,)\s*image\/jxl\s*(,|$)/.test(accept) ? "image/jxl" : "image/webp";
}
