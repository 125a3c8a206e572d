/**
 * @module errors
 * Every failure the edge can meet, mapped once to the JSON error a client gets. What the
 * client reads says what failed in plain words; the backend's own messages (sharp,
 * libvips, model internals) never reach it.
 */

import { L3cError } from "../../shared/errors.js";
import { BackendCallError, gatewayStatus } from "../../shared/http/backend-client.js";
import { EdgeConfigError } from "./config.js";
import { DemoError } from "./demo.js";
import { KeyError } from "./keys.js";
import { OriginError } from "./origin.js";
import { VariantError } from "./variants.js";
import { AssetsError } from "./web-routes.js";

/** Neither the original nor a stream of it exists. */
export class NotFoundError extends Error {}

/** A stored stream that cannot be served and has no original to be made again from. */
export class CorruptStreamError extends Error {}

/** A `.l3c` asked for while its encode is still running (Retry-After says when to ask again). */
export class EncodingError extends Error {}

export function jsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  });
}

/** What a failed backend call means to the client, without the backend's words. */
function backendError(e: BackendCallError): Response {
  const retry: Record<string, string> = e.retryAfter ? { "Retry-After": e.retryAfter } : {};
  if (e.kind === "rejected" && e.status === 415)
    return jsonError(415, "NOT_AN_IMAGE", "the object is not an image this service can read");
  const message: Record<BackendCallError["kind"], string> = {
    timeout: "the image service did not answer in time",
    unreachable: "the image service is unreachable",
    overloaded: "the image service is busy",
    failed: `the image service failed (HTTP ${e.status})`,
    rejected: `the image service refused the request (HTTP ${e.status}${e.code ? ` ${e.code}` : ""})`,
    corrupt: "the image service's answer was damaged in transit",
  };
  return jsonError(gatewayStatus(e), "BACKEND", message[e.kind], retry);
}

export function errorResponse(err: unknown): Response {
  if (err instanceof KeyError) return jsonError(err.status, "BAD_KEY", err.message);
  if (err instanceof VariantError) return jsonError(err.status, err.code, err.message, { Vary: "Accept" });
  if (err instanceof DemoError)
    return jsonError(err.status, err.code, err.message, err.status === 429 ? { "Retry-After": "60" } : {});
  if (err instanceof AssetsError) return jsonError(404, "NO_ASSETS", err.message);
  if (err instanceof BackendCallError) return backendError(err);
  if (err instanceof OriginError)
    return err.timeout
      ? jsonError(504, "ORIGIN_TIMEOUT", err.message, { "Retry-After": "5" })
      : jsonError(502, "ORIGIN", err.message);
  if (err instanceof NotFoundError) return jsonError(404, "NOT_FOUND", err.message);
  if (err instanceof CorruptStreamError) return jsonError(502, "CORRUPT_STREAM", err.message);
  if (err instanceof EncodingError) return jsonError(503, "ENCODING", err.message, { "Retry-After": "10" });
  if (err instanceof L3cError) return jsonError(502, err.code, `stored stream: ${err.message}`);
  if (err instanceof EdgeConfigError) return jsonError(500, "CONFIG", err.message);
  console.error(err);
  return jsonError(500, "INTERNAL", "internal error");
}
