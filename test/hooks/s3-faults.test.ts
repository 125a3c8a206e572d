/**
 * Crash, restart and race tests of the S3 hooks and `l3c bulk` against a real S3 server
 * (versitygw): the backend SIGKILLed in the middle of a bulk run over 50 images; the SQS
 * hook process SIGKILLed with its .l3c PUT half sent, and again after storing but before
 * deleting the message; the same notification handled twice at once, both writes meeting
 * at the server; the S3 server killed with a PUT half received, refusing connections,
 * then back. Each ends with the bucket audit (test/harness/bucket-audit.ts): every
 * original intact, every object with a .l3c that decodes to its pixels or none at all,
 * nothing else; and a bulk run whose summary matches the bucket and finishes the job.
 * Faults are placed exactly by a TCP proxy (test/harness/fault-proxy.ts), not by timing.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HookConfig } from "../../hooks/src/core.js";
import { createHookApp } from "../../hooks/src/webhook.js";
import { Codec } from "../../node-codec/src/codec.js";
import { startBackend, TOKEN } from "../harness/backend.js";
import { type Audit, auditBucket, type BulkSummary, summaryProblems } from "../harness/bucket-audit.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { hookEnv, runL3c, startBackendProcess, startSqsWorkerProcess } from "../harness/processes.js";
import { type S3Server, startS3Server } from "../harness/s3-server.js";
import { createQueueWithDlq, startSqsServer } from "../harness/sqs-server.js";
import { syntheticImage } from "../helpers/left-model.js";

let s3: S3Server;
let codec: Codec;
let backend: Awaited<ReturnType<typeof startBackend>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function within<T>(what: string, p: Promise<T>, ms = 60_000): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out waiting for ${what}`)))]);
}

const pngOf = (seed: number) => {
  const img = syntheticImage(40, 32, 3, seed);
  return sharp(img.data, { raw: { width: 40, height: 32, channels: 3 } })
    .png()
    .toBuffer();
};

async function upload(prefix: string, n: number, seed0: number): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const key = `${prefix}img${String(i).padStart(2, "0")}.png`;
    const body = await pngOf(seed0 + i);
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: body }));
    out.set(key, body);
  }
  return out;
}

const audit = (prefix: string, originals: Map<string, Uint8Array>) =>
  auditBucket(s3.client, "images", prefix, originals, codec);

/** .l3c files of a prefix in the server's folder (readable while the server is down). */
const l3cOnDisk = (prefix: string) => {
  try {
    return readdirSync(join(s3.dir, "images", prefix)).filter((f) => f.endsWith(".l3c")).length;
  } catch {
    return 0;
  }
};

/** Successful and refused PUTs of a key, from the server's access log. */
const puts = (key: string) =>
  s3
    .accessLog()
    .filter((e) => e.operation === "PutObject" && e.key === key)
    .map((e) => e.status)
    .sort();

async function bulk(prefix: string, env: Record<string, string>, extra: string[] = []) {
  const r = await runL3c(
    ["bulk", "images", "--prefix", prefix, "--json", "--concurrency", "2", ...extra],
    env,
  );
  let summary: BulkSummary & { stopped?: string };
  try {
    summary = JSON.parse(r.stdout);
  } catch {
    throw new Error(`l3c bulk printed no summary (exit ${r.code}): ${r.stdout} ${r.stderr}`);
  }
  return { code: r.code, summary };
}

/** The closing check of every test: clean, and a bulk run that agrees and finishes it. */
async function expectFinished(
  prefix: string,
  originals: Map<string, Uint8Array>,
  env: Record<string, string>,
) {
  const before = await audit(prefix, originals);
  expect(before.problems).toEqual([]);
  const r = await bulk(prefix, env);
  const after = await audit(prefix, originals);
  expect(after.problems).toEqual([]);
  expect(summaryProblems(r.summary, before, after)).toEqual([]);
  expect(r).toMatchObject({ code: 0, summary: { failed: 0, pending: 0 } });
  expect(after.missing).toEqual([]);
  return { before, after, summary: r.summary };
}

beforeAll(async () => {
  s3 = await startS3Server({ events: true, accessLog: true });
  backend = await startBackend({ L3C_WORKERS: "1" });
  codec = await Codec.create({
    modelsDir: new URL("../fixtures/models", import.meta.url).pathname,
    workers: 0,
  });
}, 120_000);

afterAll(async () => {
  await codec?.close();
  await backend?.stop();
  await s3?.stop();
});

describe("the bucket audit", () => {
  it("catches a partial, a wrong and a stale .l3c, a changed original and a stray object", async () => {
    const originals = await upload("audit/", 4, 900);
    const keys = [...originals.keys()];
    const encode = async (png: Uint8Array) =>
      (await codec.encode({ width: 40, height: 32, channels: 3, data: await sharp(png).raw().toBuffer() }))
        .bytes;
    const put = (key: string, body: Uint8Array, meta: Record<string, string> = {}) =>
      s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: body, Metadata: meta }));
    const etag = async (key: string) =>
      (await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: originals.get(key) })))
        .ETag!;
    const full = await encode(originals.get(keys[0])!);
    const meta = async (key: string, stream: Uint8Array) => ({
      "source-etag": await etag(key),
      "source-bytes": String(originals.get(key)!.length),
      "l3c-bytes": String(stream.length),
    });
    await put(`${keys[0]}.l3c`, full.subarray(0, full.length - 9), await meta(keys[0], full)); // partial
    const other = await encode(await pngOf(1));
    await put(`${keys[1]}.l3c`, other, await meta(keys[1], other)); // another image's stream
    const good = await encode(originals.get(keys[2])!);
    await put(`${keys[2]}.l3c`, good, { ...(await meta(keys[2], good)), "source-etag": '"stale"' });
    await put(keys[3], await pngOf(2)); // the original replaced behind the test's back
    await put("audit/stray.png.l3c.tmp", new Uint8Array(3));
    const a: Audit = await audit("audit/", originals);
    expect(a.problems).toEqual([
      "unexpected object audit/stray.png.l3c.tmp",
      expect.stringMatching(/^audit\/img00\.png\.l3c \(\d+ bytes\) does not decode/),
      "audit/img01.png.l3c decodes to other pixels",
      `audit/img02.png.l3c is labelled "stale", the original is ${await etag(keys[2])}`,
      "original audit/img03.png was changed",
    ]);
    await put(keys[3], originals.get(keys[3])!);
  });
});

describe("crashes, restarts and races (real S3 server)", () => {
  it("backend SIGKILLed in the middle of `l3c bulk` over 50 images: nothing partial; restart + re-run finishes; summaries match", async () => {
    const prefix = "bulk50/";
    const originals = await upload(prefix, 50, 100);
    const victim = await startBackendProcess();
    const env = hookEnv(victim.url, s3.endpoint, { HOOKS_ATTEMPTS: "2", HOOKS_BACKOFF_MS: "50" });
    try {
      const before = await audit(prefix, originals);
      expect(before.missing.length).toBe(50);
      const run = bulk(prefix, env);
      await waitFor("10 streams stored", () => l3cOnDisk(prefix) >= 10);
      await victim.kill("SIGKILL");
      const first = await within("bulk to stop", run);
      const mid = await audit(prefix, originals);
      expect(mid.problems).toEqual([]);
      expect(summaryProblems(first.summary, before, mid)).toEqual([]);
      expect(first.code).toBe(1);
      expect(first.summary.stored).toBeGreaterThanOrEqual(10);
      expect(first.summary.failed).toBeGreaterThan(0);
      expect(first.summary.stopped).toMatch(/transient failures in a row/);
      await victim.start();
      const done = await expectFinished(prefix, originals, env);
      expect(done.summary).toMatchObject({ stored: mid.missing.length, skipped: mid.encoded.size });
      const again = await bulk(prefix, env);
      expect(again.summary).toMatchObject({ stored: 0, skipped: 50, failed: 0, pending: 0, savedBytes: 0 });
      // the text summary says the same
      const text = await runL3c(["bulk", "images", "--prefix", prefix], env);
      expect(text).toMatchObject({ code: 0 });
      expect(text.stdout).toBe(
        "50 images: 0 encoded, 50 already up to date or skipped, 0 failed\nencoded now: 0 -> 0 bytes (0 saved, 0%)\n",
      );
    } finally {
      await victim.kill();
    }
  }, 240_000);

  it("hook process SIGKILLed with its .l3c PUT half sent, then after storing but before deleting the message: redelivery finishes with one write", async () => {
    const prefix = "hookkill/";
    const sqsServer = await startSqsServer();
    const s3Proxy = await startFaultProxy(s3.port);
    const sqsProxy = await startFaultProxy(Number(new URL(sqsServer.endpoint).port));
    const sqs = sqsServer.client;
    const { queue } = await createQueueWithDlq(sqs, "kill", {
      visibilitySeconds: 2,
      maxReceiveCount: 10,
    });
    const { SendMessageCommand } = await import("@aws-sdk/client-sqs");
    s3.onEvent = (e) => {
      const key = (e as { Records?: Array<{ s3?: { object?: { key?: string } } }> }).Records?.[0]?.s3?.object
        ?.key;
      if (key?.startsWith(prefix))
        void sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: JSON.stringify(e) }));
    };
    const env = hookEnv(`http://127.0.0.1:${backend.port}`, s3Proxy.endpoint, {
      SQS_ENDPOINT: sqsProxy.endpoint,
      SQS_QUEUE_URL: queue.replace(sqsServer.endpoint, sqsProxy.endpoint),
      HOOKS_EVENT_KEYS: "raw",
      HOOKS_DEAD_LETTER_FILE: join(s3.dir, "..", "dead-letter.jsonl"),
    });
    const queued = async () => {
      const a = (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queue,
            AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
          }),
        )
      ).Attributes!;
      return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
    };
    const hook = await startSqsWorkerProcess(env);
    const originals = new Map<string, Uint8Array>();
    try {
      // 1. killed with the PUT of a.png.l3c half sent: the server must store nothing
      const putHeld = s3Proxy.holdNext(/^PUT \/images\/hookkill\/a\.png\.l3c[ ?]/);
      originals.set(`${prefix}a.png`, await pngOf(300));
      await s3.client.send(
        new PutObjectCommand({
          Bucket: "images",
          Key: `${prefix}a.png`,
          Body: originals.get(`${prefix}a.png`),
        }),
      );
      await within("the hook's PUT", putHeld);
      await hook.kill("SIGKILL");
      await sleep(200); // the cut request reaches the server
      const afterKill = await audit(prefix, originals);
      expect(afterKill.problems).toEqual([]);
      expect(afterKill.missing).toEqual([`${prefix}a.png`]);
      expect(puts(`${prefix}a.png.l3c`).filter((s) => s === 200)).toEqual([]);

      // 2. redelivered to a new process, which stores it; killed before it deletes the message
      const deleteHeld = sqsProxy.holdNext(/x-amz-target: AmazonSQS\.DeleteMessage/i);
      await hook.start();
      await within("the hook's DeleteMessage", deleteHeld);
      await hook.kill("SIGKILL");
      const afterSecondKill = await audit(prefix, originals);
      expect(afterSecondKill.problems).toEqual([]);
      expect(afterSecondKill.missing).toEqual([]);

      // 3. redelivered again: nothing to write; a new upload goes through as usual
      await hook.start();
      originals.set(`${prefix}b.png`, await pngOf(301));
      await s3.client.send(
        new PutObjectCommand({
          Bucket: "images",
          Key: `${prefix}b.png`,
          Body: originals.get(`${prefix}b.png`),
        }),
      );
      await waitFor(
        "the queue to drain",
        async () => l3cOnDisk(prefix) === 2 && (await queued()) === 0,
        90_000,
      );
      await hook.kill("SIGTERM");
      expect(puts(`${prefix}a.png.l3c`).filter((s) => s === 200)).toEqual([200]);
      expect(puts(`${prefix}b.png.l3c`).filter((s) => s === 200)).toEqual([200]);
      const done = await expectFinished(
        prefix,
        originals,
        hookEnv(`http://127.0.0.1:${backend.port}`, s3.endpoint),
      );
      expect(done.summary).toMatchObject({ stored: 0, skipped: 2 });
    } finally {
      s3.onEvent = undefined;
      await hook.kill();
      await s3Proxy.close();
      await sqsProxy.close();
      sqsServer.stop();
    }
  }, 240_000);

  it("the same notification delivered twice at once: both PUTs meet at the server, one is written, the other told so", async () => {
    const prefix = "dup/";
    const key = `${prefix}x.png`;
    const originals = new Map([[key, new Uint8Array(await pngOf(400))]]);
    await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: originals.get(key) }));
    await waitFor("the server's notification", () =>
      s3.events.some((e) => JSON.stringify(e).includes(`"key":"${key}"`)),
    );
    const notification = s3.events.find((e) => JSON.stringify(e).includes(`"key":"${key}"`));
    const proxy = await startFaultProxy(s3.port);
    try {
      const { S3Client } = await import("@aws-sdk/client-s3");
      const { S3_CREDS } = await import("../harness/s3-server.js");
      const hookApp = () => {
        const cfg: HookConfig = {
          s3: new S3Client({
            endpoint: proxy.endpoint,
            region: "us-east-1",
            forcePathStyle: true,
            credentials: S3_CREDS,
          }),
          backendUrl: `http://127.0.0.1:${backend.port}`,
          backendToken: TOKEN,
          eventKeys: "raw",
          attempts: 2,
          backoffMs: 10,
          log: () => undefined,
        };
        return createHookApp(cfg, "hooks-token-0123456789");
      };
      const deliver = (app: ReturnType<typeof hookApp>) =>
        app.request("/hooks/s3", {
          method: "POST",
          body: JSON.stringify(notification),
          headers: { Authorization: "Bearer hooks-token-0123456789", "Content-Type": "application/json" },
        });
      const first = proxy.holdNext(/^PUT \/images\/dup\/x\.png\.l3c[ ?]/);
      const second = proxy.holdNext(/^PUT \/images\/dup\/x\.png\.l3c[ ?]/);
      const answers = Promise.all([deliver(hookApp()), deliver(hookApp())]);
      const held = await within("both PUTs", Promise.all([first, second]));
      for (const h of held) h.release();
      const outcomes = await Promise.all(
        (await answers).map(async (r) => ({ status: r.status, ...(await r.json()) })),
      );
      expect(outcomes.map((o) => o.status)).toEqual([200, 200]);
      expect(outcomes.map((o) => o.outcomes[0].status).sort()).toEqual(["skipped", "stored"]);
      expect(outcomes.map((o) => o.outcomes[0].reason).filter(Boolean)).toEqual([
        "already encoded for this source ETag (concurrently)",
      ]);
      await waitFor("both PUTs in the access log", () => puts(`${key}.l3c`).length >= 2, 5000);
      expect(puts(`${key}.l3c`)).toEqual([200, 412]);
      const done = await expectFinished(
        prefix,
        originals,
        hookEnv(`http://127.0.0.1:${backend.port}`, s3.endpoint),
      );
      expect(done.summary).toMatchObject({ stored: 0, skipped: 1 });
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("S3 server killed three times mid-run (listing; after storing a PUT whose answer is lost; with a PUT half received), refusing connections, then back: bulk retries through all; summaries match", async () => {
    const prefix = "restart/";
    const originals = await upload(prefix, 30, 500);
    const proxy = await startFaultProxy(s3.port);
    const env = hookEnv(`http://127.0.0.1:${backend.port}`, proxy.endpoint, {
      HOOKS_ATTEMPTS: "5",
      HOOKS_BACKOFF_MS: "300",
    });
    const keyOf = (h: { head: string }) =>
      decodeURIComponent(h.head.split(" ")[1].split("?")[0].slice("/images/".length));
    const outage = async () => {
      await s3.kill();
      await proxy.refuse(); // nothing listens: connection refused
      await sleep(1500);
      await s3.start();
      await proxy.accept();
    };
    const put = /^PUT \/images\/restart\/\S+\.l3c[ ?]/;
    try {
      const before = await audit(prefix, originals);
      // 0. the server dies while bulk lists the bucket (pages of 4 keys), its answer held
      const listing = proxy.holdNext(/^GET \/images\/?\?[^ ]*continuation-token=/, { at: "response" });
      const run = bulk(prefix, env, ["--page-size", "4"]);
      await within("a second listing page", listing);
      await outage();
      await waitFor("5 streams stored", () => l3cOnDisk(prefix) >= 5);
      // 1. the server stores a .l3c, then dies before its answer reaches the client: the
      // client's retry meets its own stream (412) and must still count it as stored
      const answered = await within("a PUT's answer", proxy.holdNext(put, { at: "response" }));
      const lostKey = keyOf(answered);
      await outage();
      await waitFor("5 more streams", () => l3cOnDisk(prefix) >= 12);
      // 2. the server dies with half of a PUT's body received: it must store nothing
      const cut = await within("a PUT", proxy.holdNext(put));
      const cutKey = keyOf(cut);
      await outage();
      const first = await within("bulk", run, 120_000);
      const mid = await audit(prefix, originals);
      expect(mid.problems).toEqual([]);
      expect(summaryProblems(first.summary, before, mid)).toEqual([]);
      expect(first.summary.retries).toBeGreaterThan(0); // the outages were felt
      expect(puts(lostKey).filter((s) => s === 200)).toEqual([200]); // written once
      expect(puts(cutKey).filter((s) => s === 200).length).toBeLessThanOrEqual(1);
      await expectFinished(prefix, originals, hookEnv(`http://127.0.0.1:${backend.port}`, s3.endpoint));
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
