/**
 * @module l3c-img
 * `<l3c-img src="https://edge/images/photo.png" alt="...">`: fetches `src?codec=l3c`,
 * decodes it in Web Workers and draws it on a canvas; where that cannot work (no Web
 * Workers or WebAssembly) or fails (network, checksum), it shows `<img src>` instead:
 * the negotiated URL, which the edge answers with WebP, AVIF or PNG.
 *
 * While it decodes, each tile's coarse levels (1/8, 1/4, 1/2) are drawn scaled up into
 * the canvas as they arrive, then its final pixels: a `preview` event (a CustomEvent
 * whose `detail` is the `ImageData` and its `PreviewInfo`) fires for each, before `load`.
 *
 * State is in the `state` attribute: "loading", "l3c" (decoded here), "fallback"
 * (an `<img>` is shown) or "error" (the fallback failed too). Fires `load` or `error`.
 * `imageData` holds the decoded pixels when state is "l3c"; `fallbackReason` says why not.
 */

import { canDecodeL3c, type DecodeOptions, decodeL3c, type PreviewInfo } from "./decoder.js";
import { previewPainter } from "./paint.js";

/** `detail` of the `preview` event. */
export interface L3cPreviewDetail extends PreviewInfo {
  image: ImageData;
}

export class L3cImgElement extends HTMLElement {
  static observedAttributes = ["src", "alt"];
  /** Options for every element's decode (e.g. `base` when the module is bundled elsewhere). */
  static options: DecodeOptions = {};
  imageData: ImageData | null = null;
  fallbackReason = "";
  private abort?: AbortController;
  private readonly root: ShadowRoot;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.root.innerHTML =
      "<style>:host{display:inline-block}canvas,img{display:block;max-width:100%}</style>";
  }

  connectedCallback(): void {
    this.render();
  }

  disconnectedCallback(): void {
    this.abort?.abort();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.isConnected || old === value) return;
    if (name === "src") this.render();
    else this.root.querySelector("canvas,img")?.setAttribute("aria-label", value ?? "");
  }

  private show(el: HTMLElement): void {
    this.root.querySelector("canvas,img")?.remove();
    this.root.append(el);
  }

  private settle(state: "l3c" | "fallback" | "error"): void {
    this.setAttribute("state", state);
    this.dispatchEvent(new Event(state === "error" ? "error" : "load"));
  }

  private fallback(reason: string, src: string): void {
    this.fallbackReason = reason;
    const img = document.createElement("img");
    img.alt = this.getAttribute("alt") ?? "";
    img.onload = () => this.settle("fallback");
    img.onerror = () => this.settle("error");
    img.src = src;
    this.show(img);
  }

  private render(): void {
    this.abort?.abort();
    this.imageData = null;
    const src = this.getAttribute("src");
    if (!src) return;
    this.setAttribute("state", "loading");
    if (!canDecodeL3c()) {
      this.fallback("Web Workers or WebAssembly unavailable", src);
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    let canvas: HTMLCanvasElement | null = null;
    const newCanvas = () => {
      const c = document.createElement("canvas");
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", this.getAttribute("alt") ?? "");
      this.show(c);
      return c;
    };
    let paint: ReturnType<typeof previewPainter> | null = null;
    const onPreview = (image: ImageData, info: PreviewInfo) => {
      if (abort.signal.aborted) return;
      canvas ??= newCanvas();
      paint ??= previewPainter(canvas);
      paint(image, info);
      L3cImgElement.options.onPreview?.(image, info);
      this.dispatchEvent(new CustomEvent<L3cPreviewDetail>("preview", { detail: { image, ...info } }));
    };
    decodeL3c(src, { ...L3cImgElement.options, signal: abort.signal, onPreview }).then(
      (data) => {
        if (abort.signal.aborted) return;
        canvas ??= newCanvas();
        canvas.width = data.width;
        canvas.height = data.height;
        canvas.getContext("2d")!.putImageData(data, 0, 0);
        this.imageData = data;
        this.settle("l3c");
      },
      (e: Error) => {
        if (!abort.signal.aborted) this.fallback(`${e.message}${"detail" in e ? `: ${e.detail}` : ""}`, src);
      },
    );
  }
}

/** Registers `<l3c-img>` (once). */
export function defineL3cImg(name = "l3c-img"): void {
  if (!customElements.get(name)) customElements.define(name, L3cImgElement);
}
