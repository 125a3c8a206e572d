/**
 * @module config
 * Backend configuration from the environment, validated at start (a bad value stops the
 * service with a message naming the variable, never a surprise at request time).
 */

import {
  CORE_KINDS,
  type CoreKind,
  defaultWorkers,
  RUNTIMES,
  type Runtime,
} from "../../node-codec/src/runtime-options.js";
import { readOptions } from "../../shared/options.js";

export interface BackendConfig {
  port: number;
  host: string;
  /** Bearer credential the edge presents (L3C_BACKEND_TOKEN, required). */
  token: string;
  /**
   * Worker threads that code tiles (L3C_WORKERS, default: cores, at most 8; 0 codes
   * on the event-loop thread, which then stalls for each network run).
   */
  workers: number;
  /** Requests coded at once (L3C_MAX_CONCURRENCY, default: workers, at least 1). */
  maxConcurrency: number;
  /** Requests waiting beyond those (L3C_MAX_QUEUE, default 8); more get 503 + Retry-After. */
  maxQueue: number;
  /** Largest request body in bytes (L3C_MAX_BODY_BYTES, default 64 MiB). */
  maxBodyBytes: number;
  /** Largest image in pixels, checked before decoding any input (L3C_MAX_PIXELS, default 50 M). */
  maxPixels: number;
  /** Longest a request may wait in the queue (L3C_QUEUE_TIMEOUT_MS, default 30000). */
  queueTimeoutMs: number;
  /** Longest a request may be coded; checked between tiles (L3C_REQUEST_TIMEOUT_MS, default 300000). */
  requestTimeoutMs: number;
  /**
   * Longest a client may take to send a whole request, headers and body
   * (L3C_UPLOAD_TIMEOUT_MS, default {@link defaultUploadTimeoutMs}); then 408 and the
   * connection is closed, so a client that dribbles its body holds no socket or memory.
   */
  uploadTimeoutMs: number;
  /** onnxruntime threads per worker (L3C_THREADS, default: cores / workers). */
  threads?: number;
  /** Models folder (L3C_MODELS_DIR, default: the repository's models/). */
  modelsDir?: string;
  /** "node" or "wasm" runtime (L3C_RUNTIME, default node). */
  runtime: Runtime;
  /** The entropy core (L3C_CORE: wasm-simd, default, wasm or ts; the same bytes, see runtime-options.ts). */
  core: CoreKind;
}

export class ConfigError extends Error {}

/** The slowest upload the default upload timeout allows for: 1 MiB/s. */
export const MIN_UPLOAD_BYTES_PER_S = 1024 * 1024;

/**
 * 60 s, or longer when the body limit needs it at {@link MIN_UPLOAD_BYTES_PER_S}
 * (64 MiB, the default limit: 64 s).
 */
export function defaultUploadTimeoutMs(maxBodyBytes: number): number {
  return Math.max(60_000, Math.ceil((maxBodyBytes / MIN_UPLOAD_BYTES_PER_S) * 1000));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  const o = readOptions(env, { error: (m) => new ConfigError(m) });
  const token = o.text("L3C_BACKEND_TOKEN") ?? "";
  if (token.length < 16) {
    throw new ConfigError("L3C_BACKEND_TOKEN must be set to a secret of at least 16 characters");
  }
  const workers = o.integer("L3C_WORKERS", 0, 256, defaultWorkers());
  const maxBodyBytes = o.integer("L3C_MAX_BODY_BYTES", 1024, 2 ** 31, 64 * 1024 * 1024);
  return {
    port: o.integer("PORT", 0, 65535, 8788),
    host: o.text("HOST") ?? "127.0.0.1",
    token,
    workers,
    maxConcurrency: o.integer("L3C_MAX_CONCURRENCY", 1, 64, Math.max(1, workers)),
    maxQueue: o.integer("L3C_MAX_QUEUE", 0, 10_000, 8),
    maxBodyBytes,
    maxPixels: o.integer("L3C_MAX_PIXELS", 1, 2 ** 28, 50_000_000),
    queueTimeoutMs: o.integer("L3C_QUEUE_TIMEOUT_MS", 1, 3_600_000, 30_000),
    requestTimeoutMs: o.integer("L3C_REQUEST_TIMEOUT_MS", 1, 3_600_000, 300_000),
    uploadTimeoutMs: o.integer("L3C_UPLOAD_TIMEOUT_MS", 100, 3_600_000, defaultUploadTimeoutMs(maxBodyBytes)),
    threads: o.integer("L3C_THREADS", 1, 256),
    modelsDir: o.text("L3C_MODELS_DIR"),
    runtime: o.oneOf("L3C_RUNTIME", RUNTIMES, "node"),
    core: o.oneOf("L3C_CORE", CORE_KINDS, "wasm-simd"),
  };
}
