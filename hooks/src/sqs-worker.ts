/**
 * @module hooks/sqs-worker
 * `npm run hooks:sqs`: a long-running consumer of the S3 -> SQS notification queue, the
 * alternative to the Lambda handler where the hook should run beside the backend (one
 * container, no Lambda). It long-polls the queue, hands each message to the same core as
 * the webhook and the Lambda handler, and deletes a message only when every object in it
 * was stored (verified) or skipped; a failed message stays on the queue, comes back after
 * its visibility timeout, and after the queue's maxReceiveCount lands in its dead-letter
 * queue (infra/aws sets both). SIGTERM/SIGINT: finish the messages in hand, then exit.
 *
 * Environment: SQS_QUEUE_URL, L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT and
 * SQS_ENDPOINT (for S3-compatible servers; unset on AWS), S3_REGION, AWS credentials as
 * the AWS SDK reads them, HOOKS_DEAD_LETTER_FILE (JSON lines, default dead-letter.jsonl).
 */

import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type HookConfig, handleQueueMessage } from "./core.js";
import { hookCoreConfigFromEnv, hookEnv, s3Region } from "./env.js";

export interface SqsWorkerOptions {
  sqs: SQSClient;
  queueUrl: string;
  cfg: HookConfig;
  /** Stops the loop after the messages in hand (graceful shutdown). */
  signal?: AbortSignal;
  /** Long-poll wait, 0..20 s (default 20). */
  waitSeconds?: number;
  /**
   * Messages per receive, 1..10 (default 1: they are coded one after another, and each
   * must finish within the queue's visibility timeout or it is delivered again).
   */
  maxMessages?: number;
  /** Pause after a failed receive before the next try, ms (default 2000). */
  errorBackoffMs?: number;
}

export interface SqsWorkerStats {
  received: number;
  deleted: number;
  leftForRedelivery: number;
  receiveErrors: number;
}

export async function runSqsWorker(o: SqsWorkerOptions): Promise<SqsWorkerStats> {
  const stats: SqsWorkerStats = { received: 0, deleted: 0, leftForRedelivery: 0, receiveErrors: 0 };
  const log = o.cfg.log ?? ((l) => console.error(JSON.stringify(l)));
  while (!o.signal?.aborted) {
    let messages: Message[] = [];
    try {
      const r = await o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: o.queueUrl,
          WaitTimeSeconds: o.waitSeconds ?? 20,
          MaxNumberOfMessages: o.maxMessages ?? 1,
        }),
        { abortSignal: o.signal },
      );
      messages = r.Messages ?? [];
    } catch (e) {
      if (o.signal?.aborted) break;
      stats.receiveErrors++;
      log({ event: "receive-error", reason: (e as Error).message });
      await new Promise((r) => setTimeout(r, o.errorBackoffMs ?? 2000));
      continue;
    }
    for (const m of messages) {
      stats.received++;
      let ok = false;
      try {
        ok = await handleQueueMessage(o.cfg, m.Body);
      } catch (e) {
        log({ event: "message-error", messageId: m.MessageId, reason: (e as Error).message });
      }
      if (!ok) {
        stats.leftForRedelivery++;
        log({ event: "left-for-redelivery", messageId: m.MessageId });
        continue;
      }
      try {
        await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle }));
        stats.deleted++;
      } catch (e) {
        // The work is done and idempotent: a redelivery finds the .l3c and writes nothing.
        log({ event: "delete-error", messageId: m.MessageId, reason: (e as Error).message });
      }
    }
  }
  return stats;
}

export function sqsWorkerFromEnv(env = process.env): SqsWorkerOptions {
  const o = hookEnv(env);
  return {
    queueUrl: o.required("SQS_QUEUE_URL"),
    sqs: new SQSClient({ region: s3Region(env), endpoint: o.text("SQS_ENDPOINT") }),
    cfg: hookCoreConfigFromEnv(env),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let opts: SqsWorkerOptions;
  try {
    opts = sqsWorkerFromEnv();
  } catch (e) {
    console.error(`l3c hooks:sqs: ${(e as Error).message}`);
    process.exit(2);
  }
  const stop = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => stop.abort());
  console.error(`l3c hooks:sqs polling ${opts.queueUrl}`);
  runSqsWorker({ ...opts, signal: stop.signal }).then(
    (s) => console.error(`l3c hooks:sqs stopped: ${JSON.stringify(s)}`),
    (e) => {
      console.error(`l3c hooks:sqs: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
