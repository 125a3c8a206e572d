/**
 * @module hooks/env
 * The hook configuration that every hook (webhook, SQS consumer, Lambda handler) and `l3c
 * bulk` read from the environment: L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT
 * (S3-compatible servers; unset on AWS), S3_REGION (default AWS_REGION, else us-east-1),
 * HOOKS_DEAD_LETTER_FILE (JSON lines, default dead-letter.jsonl), HOOKS_VERIFY (backend,
 * default, or decode: see verified-stream.ts), HOOKS_MODEL (the model to encode with, by
 * name or id as the backend knows it; default: the backend's own), HOOKS_EVENT_KEYS (url, default, or raw:
 * see events.ts), HOOKS_ATTEMPTS (default 4) and HOOKS_BACKOFF_MS (default 500) for
 * transient failures; AWS credentials as the AWS SDK reads them. The Lambda handler's
 * defaults differ (lambdaHookConfigFromEnv).
 */
import { appendFile } from "node:fs/promises";
import { S3Client } from "@aws-sdk/client-s3";
import { type OptionReader, readOptions } from "../../shared/options.js";
import type { HookConfig } from "./core.js";
import type { EventKeyEncoding } from "./events.js";
import type { VerifyMode } from "./verified-stream.js";

/** A missing or invalid variable; the hooks stop at start with its message (exit 2). */
export class HookConfigError extends Error {}

/** The environment as options, in the one idiom (shared/options.ts). */
export function hookEnv(env: NodeJS.ProcessEnv): OptionReader {
  return readOptions(env, { error: (m) => new HookConfigError(m) });
}

/** S3_REGION, else AWS_REGION (set by the Lambda runtime), else us-east-1. */
export function s3Region(env: NodeJS.ProcessEnv): string {
  const o = hookEnv(env);
  return o.text("S3_REGION") ?? o.text("AWS_REGION") ?? "us-east-1";
}

export function s3ClientFromEnv(env: NodeJS.ProcessEnv): S3Client {
  const endpoint = hookEnv(env).text("S3_ENDPOINT");
  return new S3Client({ endpoint, region: s3Region(env), forcePathStyle: Boolean(endpoint) });
}

export function hookCoreConfigFromEnv(env: NodeJS.ProcessEnv): HookConfig {
  const o = hookEnv(env);
  const deadLetterFile = o.text("HOOKS_DEAD_LETTER_FILE") ?? "dead-letter.jsonl";
  return {
    s3: s3ClientFromEnv(env),
    backendUrl: o.required("L3C_BACKEND_URL"),
    backendToken: o.required("L3C_BACKEND_TOKEN"),
    model: o.text("HOOKS_MODEL"),
    verify: o.oneOf<VerifyMode>("HOOKS_VERIFY", ["backend", "decode"], "backend"),
    eventKeys: o.oneOf<EventKeyEncoding>("HOOKS_EVENT_KEYS", ["url", "raw"], "url"),
    attempts: o.integer("HOOKS_ATTEMPTS", 1, 100),
    backoffMs: o.integer("HOOKS_BACKOFF_MS", 0, 600_000),
    deadLetter: (r) => appendFile(deadLetterFile, `${JSON.stringify(r)}\n`),
  };
}

/**
 * The Lambda handler's: the same variables, but 2 attempts unless HOOKS_ATTEMPTS says
 * otherwise (SQS redelivers a failed message) and no dead-letter file (the queue's
 * dead-letter queue is it).
 */
export function lambdaHookConfigFromEnv(env: NodeJS.ProcessEnv): HookConfig {
  const cfg = hookCoreConfigFromEnv(env);
  return { ...cfg, attempts: cfg.attempts ?? 2, deadLetter: undefined };
}
