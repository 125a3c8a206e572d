/**
 * @module index
 * l3c in the browser (bundled as `/_l3c/l3c.js`): decode `.l3c` streams in Web Workers
 * with onnxruntime-web (wasm) and the shared TypeScript decoder, pixel CRCs checked;
 * importing it registers `<l3c-img>`. Usage: web/README.md.
 */

import { defineL3cImg } from "./l3c-img.js";

export { L3cError } from "../../shared/errors.js";
export {
  canDecodeL3c,
  DEFAULT_MAX_PIXELS,
  type DecodeOptions,
  decodeL3c,
  decodeL3cStream,
  drawL3c,
  type PreviewInfo,
  streamUrl,
} from "./decoder.js";
export { defineL3cImg, L3cImgElement, type L3cPreviewDetail } from "./l3c-img.js";

if (typeof customElements !== "undefined") defineL3cImg();
