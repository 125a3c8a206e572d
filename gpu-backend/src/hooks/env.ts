/**
 * @module hooks/env
 * The hook configuration that the long-running hooks (webhook, SQS consumer) read from
 * the environment: L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT (S3-compatible
 * servers; unset on AWS), S3_REGION (default us-east-1), HOOKS_DEAD_LETTER_FILE (JSON
 * lines, default dead-letter.jsonl); AWS credentials as the AWS SDK reads them.
 */
import { appendFile } from "node:fs/promises";
import { S3Client } from "@aws-sdk/client-s3";
import type { HookConfig } from "./core.js";

/** The value of a variable that must be set (a start-up error names it otherwise). */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}

export const s3Region = (env: NodeJS.ProcessEnv) => env.S3_REGION ?? "us-east-1";

export function hookCoreConfigFromEnv(env: NodeJS.ProcessEnv): HookConfig {
  const deadLetterFile = env.HOOKS_DEAD_LETTER_FILE ?? "dead-letter.jsonl";
  return {
    s3: new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: s3Region(env),
      forcePathStyle: Boolean(env.S3_ENDPOINT),
    }),
    backendUrl: requireEnv(env, "L3C_BACKEND_URL"),
    backendToken: requireEnv(env, "L3C_BACKEND_TOKEN"),
    deadLetter: (r) => appendFile(deadLetterFile, `${JSON.stringify(r)}\n`),
  };
}
