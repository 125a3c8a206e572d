/**
 * @module config
 * Backend configuration from the environment, validated at start (a bad value stops the
 * service with a message naming the variable, never a surprise at request time).
 */

import { defaultWorkers } from "../../node-codec/src/tile-pool.js";

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
  /** onnxruntime threads per worker (L3C_THREADS, default: cores / workers). */
  threads?: number;
  /** Models folder (L3C_MODELS_DIR, default: the repository's models/). */
  modelsDir?: string;
  /** "node" or "wasm" runtime (L3C_RUNTIME, default node). */
  runtime: "node" | "wasm";
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`Expected integer between ${min} and ${max} for ${name} but received ${raw}`);
  }
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  const token = env.L3C_BACKEND_TOKEN ?? "";
  if (token.length < 16) {
    throw new ConfigError("L3C_BACKEND_TOKEN must be set to a secret of at least 16 characters");
  }
  const runtime = env.L3C_RUNTIME ?? "node";
  if (runtime !== "node" && runtime !== "wasm") {
    throw new ConfigError(`Expected node or wasm for L3C_RUNTIME but received ${runtime}`);
  }
  const workers = int(env, "L3C_WORKERS", defaultWorkers(), 0, 256);
  return {
    port: int(env, "PORT", 8788, 0, 65535),
    host: env.HOST ?? "127.0.0.1",
    token,
    workers,
    maxConcurrency: int(env, "L3C_MAX_CONCURRENCY", Math.max(1, workers), 1, 64),
    maxQueue: int(env, "L3C_MAX_QUEUE", 8, 0, 10_000),
    maxBodyBytes: int(env, "L3C_MAX_BODY_BYTES", 64 * 1024 * 1024, 1024, 2 ** 31),
    maxPixels: int(env, "L3C_MAX_PIXELS", 50_000_000, 1, 2 ** 28),
    queueTimeoutMs: int(env, "L3C_QUEUE_TIMEOUT_MS", 30_000, 1, 3_600_000),
    requestTimeoutMs: int(env, "L3C_REQUEST_TIMEOUT_MS", 300_000, 1, 3_600_000),
    threads: env.L3C_THREADS ? int(env, "L3C_THREADS", 0, 1, 256) : undefined,
    modelsDir: env.L3C_MODELS_DIR || undefined,
    runtime,
  };
}
