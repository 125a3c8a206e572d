/**
 * @module hooks/lambda
 * AWS handler: S3 -> SQS -> Lambda (SQS event whose message bodies are S3 events).
 * Returns SQS partial-batch failures, so only failed messages are redelivered and, after
 * the queue's maxReceiveCount, land in its dead-letter queue (see infra/aws).
 * Also accepts S3 events delivered directly (S3 -> Lambda), throwing on failure so that
 * Lambda's own retry and on-failure destination apply.
 */
import { type HookConfig, handleObjectCreated, handleQueueMessage } from "./core.js";
import { lambdaHookConfigFromEnv } from "./env.js";
import { objectsFromS3Event } from "./events.js";

let cfg: HookConfig | undefined;

/** Read once per container (env.ts); a missing variable fails every invocation, naming it. */
function config(): HookConfig {
  cfg ??= lambdaHookConfigFromEnv(process.env);
  return cfg;
}

interface SqsEvent {
  Records: Array<{ messageId: string; body: string; eventSource?: string }>;
}

export async function handler(
  event: SqsEvent | Record<string, unknown>,
  _ctx?: unknown,
  hookCfg?: HookConfig,
) {
  const c = hookCfg ?? config();
  const records = (event as SqsEvent).Records ?? [];
  if (records.length && (records[0] as { eventSource?: string }).eventSource === "aws:sqs") {
    const batchItemFailures: Array<{ itemIdentifier: string }> = [];
    for (const m of records) {
      if (!(await handleQueueMessage(c, m.body))) batchItemFailures.push({ itemIdentifier: m.messageId });
    }
    return { batchItemFailures };
  }
  const outcomes = [];
  for (const ref of objectsFromS3Event(event, c.eventKeys)) outcomes.push(await handleObjectCreated(c, ref));
  const failed = outcomes.filter((o) => o.status === "failed");
  if (failed.length)
    throw new Error(`${failed.length} object(s) failed: ${failed.map((f) => f.key).join(", ")}`);
  return { outcomes };
}
