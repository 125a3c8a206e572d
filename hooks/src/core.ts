/**
 * @module hooks/core
 * The S3 upload hook: for an `ObjectCreated` image, fetch it, have the backend encode it,
 * check that the stream is verified (verified-stream.ts), then store `<key>.l3c` next to
 * it with a conditional PUT (store.ts). Never deletes or overwrites an original;
 * idempotent (a redelivered or duplicated event for the same source ETag writes nothing);
 * transient failures are retried with exponential backoff; permanent ones are
 * dead-lettered (errors.ts). Shared by the webhook (S3-compatible notifications), the
 * Lambda/SQS handler, the SQS consumer and the bulk command.
 */

import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { bitsPerSubpixel } from "../../shared/format.js";
import type { BackendTarget } from "../../shared/http/backend-client.js";
import { isNotFound, isPreconditionFailed, PermanentError, s3Failure, TransientError } from "./errors.js";
import { type EventKeyEncoding, isTestEvent, type ObjectRef, objectsFromS3Event } from "./events.js";
import { headL3c, newWriteId, putL3c } from "./store.js";
import { encodeVerified, type VerifyMode } from "./verified-stream.js";

export type { ObjectRef } from "./events.js";

export const IMAGE_KEY = /\.(png|jpe?g|webp|tiff?|pnm|ppm|pgm)$/i;

export interface HookConfig extends BackendTarget {
  s3: S3Client;
  /** Objects larger than this are skipped (default 64 MiB). */
  maxBytes?: number;
  /** Attempts for transient failures (default 4) and the first backoff (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
  /** "backend" (default): the backend's attested verification; "decode": decode again here. */
  verify?: VerifyMode;
  /** How the notifier encodes keys in its events (events.ts; default "url"). */
  eventKeys?: EventKeyEncoding;
  /** Where permanent failures go (a queue, a bucket prefix, a file). */
  deadLetter?: (record: DeadLetter) => Promise<void>;
  log?: (line: Record<string, unknown>) => void;
}

export type Outcome =
  | {
      status: "stored";
      bucket: string;
      key: string;
      sourceBytes: number;
      streamBytes: number;
      bpsp: number;
      verifiedBy: "backend" | "decode";
    }
  | { status: "skipped"; bucket: string; key: string; reason: string }
  | { status: "failed"; bucket: string; key: string; reason: string; transient: boolean };

export interface DeadLetter {
  bucket: string;
  key: string;
  etag?: string;
  reason: string;
  at: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Encode, verify and store one object (no retries here; writeId: this handling's). */
async function processOnce(cfg: HookConfig, ref: ObjectRef, writeId: string): Promise<Outcome> {
  const { bucket, key } = ref;
  const l3cKey = `${key}.l3c`;
  const head = await cfg.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((e) => {
    if (isNotFound(e)) return undefined;
    throw s3Failure("origin head", e);
  });
  if (!head) return { status: "skipped", bucket, key, reason: "object no longer exists" };
  if ((head.ContentLength ?? 0) > (cfg.maxBytes ?? 64 * 1024 * 1024)) {
    return { status: "skipped", bucket, key, reason: `too large (${head.ContentLength} bytes)` };
  }
  const sourceEtag = head.ETag ?? "";
  const existing = await headL3c(cfg.s3, bucket, l3cKey);
  if (existing && existing.sourceEtag === sourceEtag) {
    if (existing.writeId === writeId) {
      // an earlier attempt of this handling stored it and lost the answer
      const { sourceBytes, streamBytes, bpsp, verifiedBy } = existing;
      return { status: "stored", bucket, key, sourceBytes, streamBytes, bpsp, verifiedBy };
    }
    return { status: "skipped", bucket, key, reason: "already encoded for this source ETag" };
  }
  const obj = await cfg.s3
    .send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: sourceEtag }))
    .catch((e) => {
      if (isPreconditionFailed(e)) throw new TransientError("origin changed while being read; trying again");
      throw s3Failure("origin read", e);
    });
  let original: Uint8Array;
  try {
    original = new Uint8Array(await obj.Body!.transformToByteArray());
  } catch (e) {
    throw new TransientError(`origin read cut short: ${(e as Error).message}`);
  }
  // A cut body that still decodes (a JPEG does) would be encoded, verified and labelled as
  // the original: the length must be the object's (the SDK also checks its CRC, when the
  // server stored one).
  if (obj.ContentLength !== undefined && original.length !== obj.ContentLength)
    throw new TransientError(`origin read cut short: ${original.length} of ${obj.ContentLength} bytes`);
  const v = await encodeVerified(cfg, original, cfg.verify);
  const bpsp = bitsPerSubpixel(v.stream.length, v.header);
  const result = await putL3c(cfg.s3, {
    bucket,
    l3cKey,
    stream: v.stream,
    sourceEtag,
    writeId,
    replacing: existing,
    metadata: {
      "l3c-model": v.model || v.header.modelHash,
      "source-bytes": String(original.length),
      "l3c-bytes": String(v.stream.length),
      bpsp: bpsp.toFixed(4),
      "l3c-verified-by": v.verifiedBy,
    },
  });
  if (result === "written-by-other") {
    return { status: "skipped", bucket, key, reason: "already encoded for this source ETag (concurrently)" };
  }
  return {
    status: "stored",
    bucket,
    key,
    sourceBytes: original.length,
    streamBytes: v.stream.length,
    bpsp,
    verifiedBy: v.verifiedBy,
  };
}

/** Handle one ObjectCreated event: skip, or encode + verify + store, with retries. */
export async function handleObjectCreated(cfg: HookConfig, ref: ObjectRef): Promise<Outcome> {
  const log = cfg.log ?? ((l) => console.error(JSON.stringify(l)));
  const { bucket, key } = ref;
  if (key.endsWith(".l3c")) return { status: "skipped", bucket, key, reason: "derived .l3c object" };
  if (!IMAGE_KEY.test(key)) {
    log({ event: "skip", bucket, key, reason: "not an image" });
    return { status: "skipped", bucket, key, reason: "not an image" };
  }
  if (ref.size !== undefined && ref.size > (cfg.maxBytes ?? 64 * 1024 * 1024)) {
    log({ event: "skip", bucket, key, reason: "too large" });
    return { status: "skipped", bucket, key, reason: `too large (${ref.size} bytes)` };
  }
  const attempts = cfg.attempts ?? 4;
  const writeId = newWriteId();
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      const out = await processOnce(cfg, ref, writeId);
      log({ event: out.status, bucket, key, ...(out.status === "skipped" ? { reason: out.reason } : {}) });
      return out;
    } catch (e) {
      last = e as Error;
      if (e instanceof PermanentError) break;
      if (!(e instanceof TransientError)) last = new TransientError((e as Error).message);
      if (i + 1 < attempts) {
        log({ event: "retry", bucket, key, attempt: i + 1, reason: last.message });
        await sleep((cfg.backoffMs ?? 500) * 2 ** i);
      }
    }
  }
  const transient = !(last instanceof PermanentError);
  const reason = last?.message ?? "unknown";
  if (last instanceof PermanentError && last.backendStatus === 415) {
    log({ event: "skip", bucket, key, reason });
    return { status: "skipped", bucket, key, reason: "not a decodable image" };
  }
  await cfg.deadLetter?.({ bucket, key, etag: ref.etag, reason, at: new Date().toISOString() });
  log({ event: "dead-letter", bucket, key, reason });
  return { status: "failed", bucket, key, reason, transient };
}

/**
 * One SQS message whose body is an S3 event (S3 -> SQS notifications). True when every
 * object in it was stored or skipped, so the message may be deleted; false leaves it on
 * the queue for redelivery (and, after the queue's maxReceiveCount, its dead-letter queue).
 * S3's s3:TestEvent on subscription has no Records: nothing to do.
 */
export async function handleQueueMessage(cfg: HookConfig, body: string | undefined): Promise<boolean> {
  let event: { Records?: unknown[] };
  try {
    event = JSON.parse(body ?? "");
  } catch {
    return false;
  }
  if (!event || !Array.isArray(event.Records)) return isTestEvent(event);
  let ok = true;
  for (const ref of objectsFromS3Event(event, cfg.eventKeys)) {
    if ((await handleObjectCreated(cfg, ref)).status === "failed") ok = false;
  }
  return ok;
}
