/**
 * S3 upload hooks against a real S3 server (versitygw, test/harness/s3-server.ts) and the
 * real backend on loopback: upload -> hook -> verified .l3c; redelivery; skips; corrupted
 * backend output; backend killed mid-batch; the Lambda/SQS shape; the server's own
 * notifications through an SQS queue (moto, for SQS only) to the consumer; the webhook's
 * auth and errors. Crash and race tests: test/s3-faults.test.ts.
 */
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulkEncode } from "../../hooks/src/bulk.js";
import { type DeadLetter, type HookConfig, handleObjectCreated } from "../../hooks/src/core.js";
import { handler } from "../../hooks/src/lambda.js";
import { runSqsWorker } from "../../hooks/src/sqs-worker.js";
import { createHookApp } from "../../hooks/src/webhook.js";
import { Codec } from "../../node-codec/src/codec.js";
import { backendCalls, startBackend, startBackendProxy, TOKEN } from "../harness/backend.js";
import { startS3Server } from "../harness/s3-server.js";
import { createQueueWithDlq, startSqsServer } from "../harness/sqs-server.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: Awaited<ReturnType<typeof startS3Server>>;
let backend: Awaited<ReturnType<typeof startBackend>>;
let codec: Codec;
const dead: DeadLetter[] = [];
const pngOf = (seed: number) => {
  const img = syntheticImage(70, 50, 3, seed);
  return sharp(img.data, { raw: { width: 70, height: 50, channels: 3 } })
    .png()
    .toBuffer();
};

function cfgFor(port: number, extra: Partial<HookConfig> = {}): HookConfig {
  return {
    s3: s3.client,
    backendUrl: `http://127.0.0.1:${port}`,
    backendToken: TOKEN,
    attempts: 2,
    backoffMs: 10,
    deadLetter: async (r) => {
      dead.push(r);
    },
    log: () => undefined,
    ...extra,
  };
}

async function put(key: string, body: Uint8Array | Buffer | string, bucket = "images") {
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function l3cOf(key: string, bucket = "images") {
  try {
    const o = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.l3c` }));
    return {
      bytes: new Uint8Array(await o.Body!.transformToByteArray()),
      meta: o.Metadata ?? {},
      etag: o.ETag,
    };
  } catch {
    return undefined;
  }
}

async function verifyStored(key: string, bucket = "images") {
  const o = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const src = await sharp(Buffer.from(await o.Body!.transformToByteArray()))
    .raw()
    .toBuffer();
  const l = await l3cOf(key, bucket);
  expect(l, `${key}.l3c missing`).toBeDefined();
  expect(
    Buffer.from((await codec.decode(l!.bytes)).data).equals(src),
    `${key}.l3c decodes to other pixels`,
  ).toBe(true);
}

const event = (...keys: string[]) => ({
  Records: keys.map((k) => ({
    eventName: "s3:ObjectCreated:Put",
    s3: {
      bucket: { name: "images" },
      object: { key: encodeURIComponent(k).replace(/%2F/g, "/"), size: 1000 },
    },
  })),
});

beforeAll(async () => {
  s3 = await startS3Server({ events: true });
  backend = await startBackend();
  codec = await Codec.create({
    modelsDir: new URL("../fixtures/models", import.meta.url).pathname,
  });
}, 120_000);

afterAll(async () => {
  await codec?.close();
  await backend?.stop();
  await s3?.stop();
});

describe("S3 upload hook", () => {
  it("webhook: upload -> verified .l3c with metadata; redelivery writes nothing", async () => {
    await put("photos/one two.png", await pngOf(1));
    const app = createHookApp(cfgFor(backend.port), "hooks-token-0123456789");
    const call = () =>
      app.request("/hooks/s3", {
        method: "POST",
        body: JSON.stringify(event("photos/one two.png")),
        headers: { Authorization: "Bearer hooks-token-0123456789", "Content-Type": "application/json" },
      });
    const r = await call();
    expect(r.status).toBe(200);
    expect((await r.json()).outcomes[0]).toMatchObject({ status: "stored", key: "photos/one two.png" });
    await verifyStored("photos/one two.png");
    const before = await l3cOf("photos/one two.png");
    expect(before!.meta["source-etag"]).toBeTruthy();
    expect(before!.meta["l3c-model"]).toMatch(/^[0-9a-f]{64}$/);
    // the digest the edge checks before it serves a stored stream
    expect(before!.meta["l3c-sha256"]).toBe(createHash("sha256").update(before!.bytes).digest("hex"));
    const again = await call();
    expect((await again.json()).outcomes[0]).toMatchObject({
      status: "skipped",
      reason: expect.stringContaining("already"),
    });
    const after = await s3.client.send(
      new HeadObjectCommand({ Bucket: "images", Key: "photos/one two.png.l3c" }),
    );
    expect(after.ETag).toBe(before!.etag);
    expect(after.LastModified?.getTime()).toBeDefined();
  });

  it("re-encodes when the original changes (new ETag) and never touches the original", async () => {
    await put("photos/changed.png", await pngOf(2));
    await handleObjectCreated(cfgFor(backend.port), { bucket: "images", key: "photos/changed.png" });
    const first = await l3cOf("photos/changed.png");
    const newPng = await pngOf(3);
    await put("photos/changed.png", newPng);
    const out = await handleObjectCreated(cfgFor(backend.port), {
      bucket: "images",
      key: "photos/changed.png",
    });
    expect(out.status).toBe("stored");
    expect((await l3cOf("photos/changed.png"))!.meta["source-etag"]).not.toBe(first!.meta["source-etag"]);
    const orig = await s3.client.send(new GetObjectCommand({ Bucket: "images", Key: "photos/changed.png" }));
    expect(Buffer.from(await orig.Body!.transformToByteArray()).equals(newPng)).toBe(true);
    await verifyStored("photos/changed.png");
  });

  it("skips objects that are not images or are too large, with a reason", async () => {
    await put("docs/readme.txt", "hello");
    await put("photos/big.png", await pngOf(4));
    await put("photos/fake.png", "not really a png");
    const c = cfgFor(backend.port);
    expect(await handleObjectCreated(c, { bucket: "images", key: "docs/readme.txt" })).toMatchObject({
      status: "skipped",
      reason: "not an image",
    });
    expect(
      await handleObjectCreated(cfgFor(backend.port, { maxBytes: 10 }), {
        bucket: "images",
        key: "photos/big.png",
      }),
    ).toMatchObject({ status: "skipped", reason: expect.stringContaining("too large") });
    expect(await handleObjectCreated(c, { bucket: "images", key: "photos/fake.png" })).toMatchObject({
      status: "skipped",
      reason: "not a decodable image",
    });
    expect(await l3cOf("photos/fake.png")).toBeUndefined();
  });

  it.each([
    ["with the attestation headers (the digest catches it)", true],
    ["without them (the hook's own decode catches it)", false],
  ])("detects corrupted backend output %s and never stores it", async (_, keepHeaders) => {
    // A proxy that flips one byte in every encode answer (and drops the attestation).
    const proxy = await startBackendProxy(backend.port, (body, headers) => {
      if (body.length > 200) body[body.length - 7] ^= 0x10;
      for (const k of Object.keys(headers))
        if (!keepHeaders && (k.startsWith("x-l3c") || k === "content-digest")) delete headers[k];
    });
    const port = proxy.port;
    const reasons: string[] = [];
    try {
      const key = `photos/corrupt-${keepHeaders}.png`;
      await put(key, await pngOf(5));
      const n = dead.length;
      const out = await handleObjectCreated(
        cfgFor(port, {
          log: (l) => {
            if (l.event === "retry") reasons.push(String(l.reason));
          },
        }),
        { bucket: "images", key },
      );
      expect(out.status).toBe("failed");
      expect(await l3cOf(key)).toBeUndefined();
      expect(dead.length).toBe(n + 1);
      expect(dead[dead.length - 1].key).toBe(key);
      expect(reasons[0]).toMatch(
        keepHeaders ? /does not match its Content-Digest/ : /verification (decode )?failed/,
      );
    } finally {
      proxy.close();
    }
  });

  it("verification: the backend's attested check by default (no second decode); HOOKS_VERIFY=decode decodes again", async () => {
    const calls = () => backendCalls(backend.port, "/v1/decode");
    await put("verify/a.png", await pngOf(40));
    await put("verify/b.png", await pngOf(41));
    const d0 = await calls();
    const a = await handleObjectCreated(cfgFor(backend.port), { bucket: "images", key: "verify/a.png" });
    expect(a).toMatchObject({ status: "stored", verifiedBy: "backend" });
    expect(await calls()).toBe(d0);
    const b = await handleObjectCreated(cfgFor(backend.port, { verify: "decode" }), {
      bucket: "images",
      key: "verify/b.png",
    });
    expect(b).toMatchObject({ status: "stored", verifiedBy: "decode" });
    expect(await calls()).toBe(d0 + 1);
    expect((await l3cOf("verify/a.png"))!.meta["l3c-verified-by"]).toBe("backend");
    await verifyStored("verify/a.png");
    await verifyStored("verify/b.png");
  });

  it("bulk: backend killed mid-batch loses nothing; a re-run completes and reports bytes saved", async () => {
    for (let i = 0; i < 6; i++) await put(`batch/img${i}.png`, await pngOf(10 + i));
    const victim = await startBackend();
    const c = cfgFor(victim.port);
    let seen = 0;
    c.log = (l) => {
      if (l.event === "stored" && ++seen === 2) void victim.stop();
    };
    const first = await bulkEncode(c, "images", "batch/");
    expect(first.listed).toBe(6);
    expect(first.stored).toBeGreaterThanOrEqual(2);
    expect(first.stored + first.failed).toBe(6);
    const second = await bulkEncode(cfgFor(backend.port), "images", "batch/");
    expect(second.stored).toBe(first.failed);
    expect(second.skipped).toBe(first.stored);
    for (let i = 0; i < 6; i++) await verifyStored(`batch/img${i}.png`);
    const third = await bulkEncode(cfgFor(backend.port), "images", "batch/");
    expect(third).toMatchObject({ stored: 0, skipped: 6, failed: 0 });
  }, 120_000);

  it("Lambda/SQS: reports only the failed messages for redelivery", async () => {
    await put("sqs/a.png", await pngOf(20));
    const out = await handler(
      {
        Records: [
          { messageId: "m1", eventSource: "aws:sqs", body: JSON.stringify(event("sqs/a.png")) },
          { messageId: "m2", eventSource: "aws:sqs", body: "{not json" },
          { messageId: "m3", eventSource: "aws:sqs", body: JSON.stringify({ Event: "s3:TestEvent" }) },
        ],
      },
      undefined,
      cfgFor(backend.port),
    );
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }] });
    await verifyStored("sqs/a.png");
  });

  it("S3 notification -> SQS -> worker: the server's own events are encoded with no event made by the test; poison messages reach the DLQ", async () => {
    const sqsServer = await startSqsServer();
    const sqs = sqsServer.client;
    const { queue, dlq } = await createQueueWithDlq(sqs, "hook", {
      visibilitySeconds: 1,
      maxReceiveCount: 2,
    });
    // versitygw posts its notifications to a webhook (no SQS target of its own): forward
    // the ones for this bucket to the queue as they are, as S3 -> SQS would.
    s3.onEvent = (e) => {
      const r = (e as { Records?: Array<{ s3?: { bucket?: { name?: string } } }> }).Records;
      if (r?.[0]?.s3?.bucket?.name === "uploads")
        void sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: JSON.stringify(e) }));
    };
    await s3.client.send(new CreateBucketCommand({ Bucket: "uploads" }));
    await put("camera/IMG 1+2%.png", await pngOf(30), "uploads");
    await put("camera/readme.txt", "not an image", "uploads");
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: "{poison" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: '{"Records":[null]}' }));

    const stop = new AbortController();
    const run = runSqsWorker({
      sqs,
      queueUrl: queue,
      // versitygw's events carry raw keys (events.ts)
      cfg: cfgFor(backend.port, { eventKeys: "raw" }),
      signal: stop.signal,
      waitSeconds: 1,
    });
    let inDlq: string[] = [];
    try {
      for (
        let i = 0;
        i < 120 && !((await l3cOf("camera/IMG 1+2%.png", "uploads")) && inDlq.length === 2);
        i++
      ) {
        const r = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 0, MaxNumberOfMessages: 10 }),
        );
        inDlq = inDlq.concat((r.Messages ?? []).map((m) => m.Body!));
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      stop.abort();
      s3.onEvent = undefined;
    }
    const stats = await run;
    sqsServer.stop();
    await verifyStored("camera/IMG 1+2%.png", "uploads");
    expect(await l3cOf("camera/readme.txt", "uploads")).toBeUndefined();
    expect(inDlq.sort()).toEqual(['{"Records":[null]}', "{poison"]);
    // the photo, the text file and the derived .l3c's own notification
    expect(stats.deleted).toBeGreaterThanOrEqual(3);
    expect(stats.leftForRedelivery).toBeGreaterThanOrEqual(2);
  }, 120_000);

  // What the real server does that moto did not (infra/README.md has the table).
  it("real server: a wrong secret is a 403 (moto accepts any), permanent: dead-lettered at once, not retried", async () => {
    await put("creds/a.png", await pngOf(50));
    const { S3Client } = await import("@aws-sdk/client-s3");
    const wrong = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "wrong-secret" },
    });
    const retries: unknown[] = [];
    const out = await handleObjectCreated(
      cfgFor(backend.port, {
        s3: wrong,
        attempts: 4,
        log: (l) => {
          if (l.event === "retry") retries.push(l);
        },
      }),
      { bucket: "images", key: "creds/a.png" },
    );
    expect(out).toMatchObject({
      status: "failed",
      transient: false,
      reason: expect.stringContaining("(HTTP 403)"),
    });
    expect(retries).toEqual([]);
    expect(dead[dead.length - 1].key).toBe("creds/a.png");
  });

  it("real server (posix): a .l3c key that is a directory is a 409 ExistingObjectIsDirectory (moto stores both), permanent", async () => {
    await put("blocked/a.png", await pngOf(51));
    await put("blocked/a.png.l3c/child.txt", "someone's object under the .l3c name");
    const out = await handleObjectCreated(cfgFor(backend.port), { bucket: "images", key: "blocked/a.png" });
    expect(out).toMatchObject({
      status: "failed",
      transient: false,
      reason: expect.stringMatching(/^origin write failed: ExistingObjectIsDirectory \(HTTP 409\)/),
    });
  });

  it("real server: bulk follows continuation tokens (versitygw's are keys, moto's hashes) over many pages", async () => {
    for (let i = 0; i < 7; i++) await put(`pages/p${i}.png`, await pngOf(60 + i));
    await put("pages/notes.txt", "not an image");
    await put("pages/sub/", "");
    const r = await bulkEncode(cfgFor(backend.port), "images", "pages/", { pageSize: 2 });
    expect(r).toMatchObject({ listed: 7, stored: 7, failed: 0, pending: 0 });
    const again = await bulkEncode(cfgFor(backend.port), "images", "pages/", { pageSize: 3 });
    expect(again).toMatchObject({ listed: 7, stored: 0, skipped: 7 });
  });

  it("webhook: 401 without the credential, 400 for a bad body", async () => {
    const app = createHookApp(cfgFor(backend.port), "hooks-token-0123456789");
    expect((await app.request("/hooks/s3", { method: "POST", body: "{}" })).status).toBe(401);
    const bad = await app.request("/hooks/s3", {
      method: "POST",
      body: "[]",
      headers: { Authorization: "Bearer hooks-token-0123456789" },
    });
    expect(bad.status).toBe(400);
  });
});
