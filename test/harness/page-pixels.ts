/**
 * Functions that run in the page (passed to page.evaluate): the RGBA pixels of an
 * element as a canvas sees them, compared with the expected RGBA.
 */

export interface PixelCheck {
  width: number;
  height: number;
  differing: number;
  first: number;
}

/** Runs in the page: draws `selector`'s image (an <img>, or a canvas in a shadow root) and compares. */
export function pagePixels([selector, expected]: [string, number[]]): PixelCheck | string {
  const el = document.querySelector(selector);
  let src: HTMLImageElement | HTMLCanvasElement | null = null;
  if (el instanceof HTMLImageElement) src = el;
  else if (el?.shadowRoot) src = el.shadowRoot.querySelector("canvas, img");
  if (!src) return `no image for ${selector}`;
  const w = src instanceof HTMLImageElement ? src.naturalWidth : src.width;
  const h = src instanceof HTMLImageElement ? src.naturalHeight : src.height;
  if (!w || !h) return `${selector} did not load (naturalWidth 0)`;
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const ctx = c.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(src, 0, 0);
  const d = ctx.getImageData(0, 0, w, h).data;
  let differing = 0;
  let first = -1;
  for (let i = 0; i < Math.max(d.length, expected.length); i++) {
    if (d[i] !== expected[i]) {
      differing++;
      if (first < 0) first = i;
    }
  }
  return { width: w, height: h, differing, first };
}
