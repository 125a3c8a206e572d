/**
 * @module hooks/env
 * The hook configuration that the long-running hooks (webhook, SQS consumer) and `l3c
 * bulk` read from the environment: L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT
 * (S3-compatible servers; unset on AWS), S3_REGION (default us-east-1),
 * HOOKS_DEAD_LETTER_FILE (JSON lines, default dead-letter.jsonl), HOOKS_VERIFY (backend,
 * default, or decode: see backend-client.ts), HOOKS_EVENT_KEYS (url, default, or raw:
 * see events.ts), HOOKS_ATTEMPTS (default 4) and HOOKS_BACKOFF_MS (default 500) for
 * transient failures; AWS credentials as the AWS SDK reads them.
 */
import { appendFile } from "node:fs/promises";
import { S3Client } from "@aws-sdk/client-s3";
import type { VerifyMode } from "./backend-client.js";
import type { HookConfig } from "./core.js";
import type { EventKeyEncoding } from "./events.js";

/** The value of a variable that must be set (a start-up error names it otherwise). */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}

/** One of `choices` (the first when unset). */
function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[]): T {
  const v = env[name];
  if (!v) return choices[0];
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new Error(`Expected ${choices.join(" or ")} for ${name} but received ${v}`);
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`Expected integer between ${min} and ${max} for ${name} but received ${v}`);
  return n;
}

export const s3Region = (env: NodeJS.ProcessEnv) => env.S3_REGION ?? "us-east-1";

export function s3ClientFromEnv(env: NodeJS.ProcessEnv): S3Client {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: s3Region(env),
    forcePathStyle: Boolean(env.S3_ENDPOINT),
  });
}

export function hookCoreConfigFromEnv(env: NodeJS.ProcessEnv): HookConfig {
  const deadLetterFile = env.HOOKS_DEAD_LETTER_FILE ?? "dead-letter.jsonl";
  return {
    s3: s3ClientFromEnv(env),
    backendUrl: requireEnv(env, "L3C_BACKEND_URL"),
    backendToken: requireEnv(env, "L3C_BACKEND_TOKEN"),
    verify: choice<VerifyMode>(env, "HOOKS_VERIFY", ["backend", "decode"]),
    eventKeys: choice<EventKeyEncoding>(env, "HOOKS_EVENT_KEYS", ["url", "raw"]),
    attempts: integer(env, "HOOKS_ATTEMPTS", 1, 100),
    backoffMs: integer(env, "HOOKS_BACKOFF_MS", 0, 600_000),
    deadLetter: (r) => appendFile(deadLetterFile, `${JSON.stringify(r)}\n`),
  };
}
