/**
 * @module openapi
 * The service's OpenAPI 3.1 document, served at GET /openapi.json.
 */
import { MEDIA_TYPE } from "../../shared/format.js";

const error = {
  description: "Error",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: { type: "string", description: "stable, for programs (e.g. UNKNOWN_MODEL)" },
              message: { type: "string", description: "what failed, in plain words" },
              detail: { type: "string", description: "context for people; may quote the image library" },
            },
          },
        },
      },
    },
  },
};

const binary = { schema: { type: "string", format: "binary" } };

/** An image answer: PNG, or lossless WebP, AVIF or JPEG XL, with its Content-Digest. */
const imageAnswer = (description: string) => ({
  description,
  content: { "image/png": binary, "image/webp": binary, "image/avif": binary, "image/jxl": binary },
});

export const OPENAPI = {
  openapi: "3.1.0",
  info: { title: "l3c-edge backend", version: "1.0.0", description: "Encode and decode .l3c streams." },
  components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  security: [{ bearer: [] }],
  paths: {
    "/v1/encode": {
      post: {
        summary:
          "Encode an image (PNG, JPEG, WebP, TIFF, PNM) losslessly; the stream is verified before it is returned.",
        parameters: [
          {
            name: "model",
            in: "query",
            schema: { type: "string" },
            description: "model name or id (422 UNKNOWN_MODEL if none matches)",
          },
          {
            name: "tile",
            in: "query",
            schema: { type: "integer", minimum: 64, maximum: 4096, multipleOf: 8 },
          },
        ],
        requestBody: {
          required: true,
          content: { "image/*": { schema: { type: "string", format: "binary" } } },
        },
        responses: {
          200: {
            description: "The stream",
            headers: {
              "X-L3C-Model": { schema: { type: "string" } },
              "X-L3C-Bpsp": { schema: { type: "number" } },
              "X-L3C-Verified": {
                description: "pixels: the backend decoded this stream and it gave the request's pixels",
                schema: { type: "string", enum: ["pixels"] },
              },
              "Content-Digest": { description: "RFC 9530 sha-256 of the stream", schema: { type: "string" } },
              "X-L3C-Source-Digest": {
                description: "RFC 9530 sha-256 of the request body that was encoded",
                schema: { type: "string" },
              },
            },
            content: { [MEDIA_TYPE]: { schema: { type: "string", format: "binary" } } },
          },
          400: error,
          401: error,
          408: error,
          413: error,
          415: error,
          422: error,
          503: error,
        },
      },
    },
    "/v1/decode": {
      post: {
        summary:
          "Decode a stream to PNG, or lossless WebP, AVIF or JPEG XL (attested: X-L3C-Verified), chosen by Accept.",
        requestBody: {
          required: true,
          content: { [MEDIA_TYPE]: { schema: { type: "string", format: "binary" } } },
        },
        responses: {
          200: imageAnswer("The image"),
          400: error,
          401: error,
          406: error,
          408: error,
          413: error,
          422: error,
          503: error,
        },
      },
    },
    "/v1/convert": {
      post: {
        summary:
          "Convert an image losslessly to PNG, WebP, AVIF or JPEG XL, chosen by Accept, without an l3c encode (what the edge serves while a key's encode runs).",
        requestBody: {
          required: true,
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        responses: {
          200: imageAnswer("The image, the same pixels"),
          400: error,
          401: error,
          406: error,
          408: error,
          413: error,
          415: error,
          503: error,
        },
      },
    },
    "/healthz": { get: { security: [], summary: "Liveness", responses: { 200: { description: "ok" } } } },
    "/readyz": {
      get: {
        security: [],
        summary: "Readiness: models loaded, execution provider",
        responses: { 200: { description: "ready" }, 503: { description: "not ready" } },
      },
    },
    "/metrics": {
      get: { security: [], summary: "Prometheus metrics", responses: { 200: { description: "text" } } },
    },
    "/openapi.json": {
      get: { security: [], summary: "This document", responses: { 200: { description: "json" } } },
    },
  },
} as const;
