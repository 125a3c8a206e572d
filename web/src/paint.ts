/**
 * @module paint
 * Draws a decode's previews (decoder.ts `onPreview`) into a canvas as they arrive: a
 * tile's coarse level scaled up into the tile's rectangle (bilinear, canvas image
 * smoothing), then its final pixels put over it unchanged.
 */

import type { PreviewInfo } from "./decoder.js";

type Canvas = HTMLCanvasElement | OffscreenCanvas;
type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function scratchCanvas(w: number, h: number): Canvas {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(w, h);
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return c;
}

/** A painter for one decode into `canvas`: sizes it to the image on the first preview. */
export function previewPainter(canvas: Canvas): (image: ImageData, info: PreviewInfo) => void {
  let ctx: Ctx | null = null;
  let scratch: Canvas | null = null;
  return (image, info) => {
    if (!ctx) {
      canvas.width = info.imageWidth;
      canvas.height = info.imageHeight;
      ctx = canvas.getContext("2d") as Ctx | null;
      if (!ctx) return;
    }
    if (info.step === 1) {
      ctx.putImageData(image, info.x, info.y);
      return;
    }
    if (!scratch || scratch.width < image.width || scratch.height < image.height)
      scratch = scratchCanvas(Math.max(image.width, 32), Math.max(image.height, 32));
    (scratch.getContext("2d") as Ctx).putImageData(image, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(info.x, info.y, info.width, info.height);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    // Preview pixel i is the image's pixel x + i step: centre its sample there.
    const shift = 0.5 - info.step / 2;
    const { width: w, height: h } = image;
    ctx.drawImage(scratch, 0, 0, w, h, info.x + shift, info.y + shift, w * info.step, h * info.step);
    ctx.restore();
  };
}
