/**
 * @module demo
 * `POST /_l3c/demo/encode` (only with DEMO=on): the demo page's upload. Per client (the
 * `CF-Connecting-IP` Cloudflare sets) a Workers rate limiter (DEMO_RATE_LIMITER) caps
 * requests; the upload's size (DEMO_MAX_BYTES) and, from its header alone, its pixel
 * count (DEMO_MAX_PIXELS) are checked before the backend does any work. The backend then
 * encodes it (verifying the round trip) and decodes the stream to JPEG XL, WebP, AVIF
 * (all lossless) and PNG, so the page can show every size next to l3c's; the stream and
 * the JPEG XL file come back for the page to decode itself (and time).
 */

import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { LAYOUT_NAMES, parseHeader, subpixels } from "../../shared/format.js";
import { backendDecode, backendEncode } from "../../shared/http/backend-client.js";
import type { EdgeConfig, EdgeEnv } from "./config.js";
import { ImageSizeError, imageSize } from "./image-size.js";
import { DECODED_VARIANTS } from "./variants.js";

type Env = { Bindings: EdgeEnv };

interface RateLimiter {
  limit(opts: { key: string }): Promise<{ success: boolean }>;
}

export class DemoError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 429,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function base64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The body, refused past `maxBytes` without reading the rest (413). */
export function demoBodyLimit(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new DemoError(413, "LIMIT_EXCEEDED", `Expected at most ${maxBytes} bytes of image`);
    },
  });
}

export async function demoEncode(c: Context<Env>, cfg: EdgeConfig): Promise<Response> {
  const demo = cfg.demo!;
  const key = c.req.header("CF-Connecting-IP") ?? "anonymous";
  const { success } = await (c.env.DEMO_RATE_LIMITER as RateLimiter).limit({ key });
  if (!success) throw new DemoError(429, "RATE_LIMITED", "too many demo requests from this client");
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (!body.length) throw new DemoError(400, "EMPTY", "empty upload");
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(body);
  } catch (e) {
    if (!(e instanceof ImageSizeError)) throw e;
    throw new DemoError(415, "UNSUPPORTED_IMAGE", `Expected a PNG, JPEG or WebP: ${e.message}`);
  }
  const pixels = size.width * size.height;
  if (pixels > demo.maxPixels) {
    throw new DemoError(
      413,
      "LIMIT_EXCEEDED",
      `Expected at most ${demo.maxPixels} pixels but received ${size.width} x ${size.height} = ${pixels}`,
    );
  }
  let t = Date.now();
  const { stream, model } = await backendEncode(cfg, body);
  const encodeMs = Date.now() - t;
  const h = parseHeader(stream);
  let jxl: Uint8Array | undefined;
  const decoded = await Promise.all(
    DECODED_VARIANTS.map(async (type) => {
      const t0 = Date.now();
      const bytes = await backendDecode(cfg, stream, type);
      if (type === "image/jxl") jxl = bytes;
      return { type, bytes: bytes.length, ms: Date.now() - t0 };
    }),
  );
  t = Date.now() - t;
  return c.json(
    {
      width: h.width,
      height: h.height,
      layout: LAYOUT_NAMES[h.layout],
      subpixels: subpixels(h),
      model: model || h.modelHash,
      tiles: h.tileCount,
      input: { format: size.format, bytes: body.length },
      l3c: { bytes: stream.length, ms: encodeMs },
      variants: decoded,
      totalMs: t,
      stream: base64(stream),
      // the page times the browser's own JPEG XL decode next to its l3c decode
      jxl: base64(jxl!),
    },
    200,
    { "Cache-Control": "no-store" },
  );
}
