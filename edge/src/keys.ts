/**
 * @module keys
 * Request path -> (bucket, key), refusing anything that could escape the allow-list:
 * unknown buckets, keys outside KEY_PATTERN, dot segments, empty segments, backslashes,
 * control characters, and percent-encodings that decode to any of those.
 */

import type { EdgeConfig } from "./config.js";

export class KeyError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

export function parseObjectPath(pathname: string, cfg: EdgeConfig): { bucket: string; key: string } {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    throw new KeyError(400, "malformed percent-encoding");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw new KeyError(400, "invalid characters in path");
  const parts = path.split("/").slice(1);
  if (parts.length < 2) throw new KeyError(404, "expected /<bucket>/<key>");
  const [bucket, ...rest] = parts;
  if (rest.some((s) => s === "" || s === "." || s === ".."))
    throw new KeyError(400, "empty or dot path segment");
  if (!cfg.buckets.has(bucket)) throw new KeyError(403, "bucket not allowed");
  const key = rest.join("/");
  if (!cfg.keyPattern.test(key)) throw new KeyError(403, "key not allowed");
  return { bucket, key };
}
