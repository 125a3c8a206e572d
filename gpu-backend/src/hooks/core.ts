/**
 * @module hooks/core
 * The S3 upload hook: for an `ObjectCreated` image, fetch it, have the backend encode it,
 * verify that the stream decodes to exactly the original pixels, then store
 * `<key>.l3c` next to it. Never deletes or overwrites an original; idempotent (a
 * redelivered event for the same source ETag writes nothing); transient failures are
 * retried with exponential backoff; permanent ones are dead-lettered. Shared by the
 * webhook (S3-compatible notifications), the Lambda/SQS handler and the bulk command.
 */

import {
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import sharp from "sharp";
import { L3cError } from "../../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../../shared/format.js";

export const IMAGE_KEY = /\.(png|jpe?g|webp|tiff?|pnm|ppm|pgm)$/i;

export interface HookConfig {
  s3: S3Client;
  backendUrl: string;
  backendToken: string;
  /** Objects larger than this are skipped (default 64 MiB). */
  maxBytes?: number;
  /** Attempts for transient failures (default 4) and the first backoff (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
  backendTimeoutMs?: number;
  /** Where permanent failures go (a queue, a bucket prefix, a file). */
  deadLetter?: (record: DeadLetter) => Promise<void>;
  log?: (line: Record<string, unknown>) => void;
}

export interface ObjectRef {
  bucket: string;
  key: string;
  /** From the event; the current ETag is read from the object itself. */
  etag?: string;
  size?: number;
}

export type Outcome =
  | { status: "stored"; bucket: string; key: string; sourceBytes: number; streamBytes: number; bpsp: number }
  | { status: "skipped"; bucket: string; key: string; reason: string }
  | { status: "failed"; bucket: string; key: string; reason: string; transient: boolean };

export interface DeadLetter {
  bucket: string;
  key: string;
  etag?: string;
  reason: string;
  at: string;
}

class Transient extends Error {}
class Permanent extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function backend(cfg: HookConfig, path: string, body: Uint8Array, accept: string): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(cfg.backendUrl.replace(/\/+$/, "") + path, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${cfg.backendToken}`, Accept: accept },
      signal: AbortSignal.timeout(cfg.backendTimeoutMs ?? 300_000),
    });
  } catch (e) {
    throw new Transient(`backend unreachable: ${(e as Error).message}`);
  }
  if (r.status === 200) return r;
  const text = (await r.text().catch(() => "")).slice(0, 300);
  if (r.status === 503 || r.status >= 500) throw new Transient(`backend ${r.status}: ${text}`);
  throw new Permanent(`backend ${r.status}: ${text}`);
}

async function rawPixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).raw().toBuffer();
}

/** Encode, verify and store one object (no retries here). */
async function processOnce(cfg: HookConfig, ref: ObjectRef): Promise<Outcome> {
  const { bucket, key } = ref;
  const l3cKey = `${key}.l3c`;
  const head = await cfg.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((e) => {
    if (e instanceof NotFound || e?.$metadata?.httpStatusCode === 404) return undefined;
    throw new Transient(`origin head failed: ${(e as Error).message}`);
  });
  if (!head) return { status: "skipped", bucket, key, reason: "object no longer exists" };
  if ((head.ContentLength ?? 0) > (cfg.maxBytes ?? 64 * 1024 * 1024)) {
    return { status: "skipped", bucket, key, reason: `too large (${head.ContentLength} bytes)` };
  }
  const sourceEtag = head.ETag ?? "";
  const existing = await cfg.s3
    .send(new HeadObjectCommand({ Bucket: bucket, Key: l3cKey }))
    .catch(() => undefined);
  if (existing?.Metadata?.["source-etag"] === sourceEtag) {
    return { status: "skipped", bucket, key, reason: "already encoded for this source ETag" };
  }
  const obj = await cfg.s3
    .send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: sourceEtag }))
    .catch((e) => {
      throw new Transient(`origin read failed: ${(e as Error).message}`);
    });
  const original = new Uint8Array(await obj.Body!.transformToByteArray());
  const enc = await backend(cfg, "/v1/encode", original, MEDIA_TYPE);
  const stream = new Uint8Array(await enc.arrayBuffer());
  // Verify independently of the encoder's own check: the stream must parse, and its
  // decoding must equal the original's pixels. A corrupted answer is never stored.
  let header: ReturnType<typeof parseHeader>;
  try {
    header = parseHeader(stream);
  } catch (e) {
    throw new Transient(`backend returned an invalid stream: ${(e as L3cError).describe?.() ?? e}`);
  }
  const dec = await backend(cfg, "/v1/decode", stream, "image/png").catch((e) => {
    if (e instanceof Permanent) throw new Transient(`verification decode failed: ${e.message}`);
    throw e;
  });
  const [a, b] = await Promise.all([rawPixels(new Uint8Array(await dec.arrayBuffer())), rawPixels(original)]);
  if (!a.equals(b)) throw new Transient("verification failed: decoded pixels differ from the original");
  const subpixels = header.width * header.height * (header.layout === 2 ? 1 : 3);
  const bpsp = (stream.length * 8) / subpixels;
  await cfg.s3
    .send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: l3cKey,
        Body: stream,
        ContentType: MEDIA_TYPE,
        Metadata: {
          "source-etag": sourceEtag,
          "l3c-model": enc.headers.get("X-L3C-Model") ?? header.modelHash,
          "source-bytes": String(original.length),
          "l3c-bytes": String(stream.length),
          bpsp: bpsp.toFixed(4),
        },
      }),
    )
    .catch((e) => {
      throw new Transient(`origin write failed: ${(e as Error).message}`);
    });
  return { status: "stored", bucket, key, sourceBytes: original.length, streamBytes: stream.length, bpsp };
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
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      const out = await processOnce(cfg, ref);
      log({ event: out.status, bucket, key, ...(out.status === "skipped" ? { reason: out.reason } : {}) });
      return out;
    } catch (e) {
      last = e as Error;
      if (e instanceof Permanent) break;
      if (!(e instanceof Transient)) last = new Transient((e as Error).message);
      log({ event: "retry", bucket, key, attempt: i + 1, reason: last.message });
      if (i + 1 < attempts) await sleep((cfg.backoffMs ?? 500) * 2 ** i);
    }
  }
  const transient = !(last instanceof Permanent);
  const reason = last?.message ?? "unknown";
  if (!transient && /^backend 415/.test(reason)) {
    log({ event: "skip", bucket, key, reason });
    return { status: "skipped", bucket, key, reason: "not a decodable image" };
  }
  await cfg.deadLetter?.({ bucket, key, etag: ref.etag, reason, at: new Date().toISOString() });
  log({ event: "dead-letter", bucket, key, reason });
  return { status: "failed", bucket, key, reason, transient };
}

/** S3 event records (AWS and MinIO shape) -> object refs, ObjectCreated only. */
export function objectsFromS3Event(event: unknown): ObjectRef[] {
  const records = (event as { Records?: unknown[] })?.Records;
  if (!Array.isArray(records)) throw new L3cError("INVALID_ARGUMENT", "expected an S3 event with Records");
  const out: ObjectRef[] = [];
  for (const r of records as Array<Record<string, never>>) {
    if (!r || typeof r !== "object")
      throw new L3cError("INVALID_ARGUMENT", "an S3 event record is not an object");
    const name = String((r as { eventName?: string }).eventName ?? "");
    if (!name.includes("ObjectCreated")) continue;
    const s3 = (
      r as { s3?: { bucket?: { name?: string }; object?: { key?: string; eTag?: string; size?: number } } }
    ).s3;
    const bucket = s3?.bucket?.name;
    const rawKey = s3?.object?.key;
    if (!bucket || !rawKey) continue;
    // Keys arrive URL-encoded with "+" for spaces (AWS and MinIO).
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, " "));
    } catch {
      throw new L3cError("INVALID_ARGUMENT", `object key is not URL-encoded: ${rawKey.slice(0, 100)}`);
    }
    out.push({ bucket, key, etag: s3?.object?.eTag, size: s3?.object?.size });
  }
  return out;
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
  if (!event || !Array.isArray(event.Records)) return (event as { Event?: string })?.Event === "s3:TestEvent";
  let ok = true;
  for (const ref of objectsFromS3Event(event)) {
    if ((await handleObjectCreated(cfg, ref)).status === "failed") ok = false;
  }
  return ok;
}
