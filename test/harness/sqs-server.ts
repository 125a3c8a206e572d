/**
 * An SQS server for tests: moto's server (from training/.venv, test/requirements.txt) on a
 * free loopback port, for the queue only; objects live in the real S3 server
 * (s3-server.ts). Queues with a visibility timeout and a redrive policy behave as on AWS
 * for what the hooks use (receive, delete, redelivery, dead-letter queue).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { freePort, S3_CREDS } from "./s3-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;

export async function startSqsServer(): Promise<{ endpoint: string; client: SQSClient; stop: () => void }> {
  const bin = join(ROOT, "training/.venv/bin/moto_server");
  if (!existsSync(bin))
    throw new Error("moto_server missing: run `npm run setup` (installs test/requirements.txt)");
  const port = await freePort();
  const proc: ChildProcess = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill); // never leave a server behind, even when a test run aborts
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = new SQSClient({ endpoint, region: "us-east-1", credentials: S3_CREDS });
  return {
    endpoint,
    client,
    stop: () => {
      process.off("exit", kill);
      client.destroy();
      kill();
    },
  };
}

/**
 * A queue `name` whose messages go to the queue `name-dlq` after `maxReceiveCount`
 * receives, each invisible for `visibilitySeconds` once received (infra/aws sets both).
 */
export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  o: { visibilitySeconds: number; maxReceiveCount: number },
): Promise<{ queue: string; dlq: string }> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))
  ).Attributes!.QueueArn!;
  const queue = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(o.visibilitySeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: o.maxReceiveCount }),
        },
      }),
    )
  ).QueueUrl!;
  return { queue, dlq };
}
