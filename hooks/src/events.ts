/**
 * @module hooks/events
 * S3 event notifications -> the objects to encode. AWS and MinIO put object keys in
 * their events URL-encoded, form style ("+" for a space); versitygw puts them raw
 * ("a b+c%d.png" as is). The two cannot be told apart from the event (a raw "+" or "%"
 * would be decoded into another key), so the notifier's convention is configuration:
 * `keys: "url"` (default) or `"raw"` (HOOKS_EVENT_KEYS).
 */
import { L3cError } from "../../shared/errors.js";

export type EventKeyEncoding = "url" | "raw";

export interface ObjectRef {
  bucket: string;
  key: string;
  /** From the event; the current ETag is read from the object itself. */
  etag?: string;
  size?: number;
}

/** S3's s3:TestEvent (sent on subscription, and by versitygw at start-up): nothing to do. */
export function isTestEvent(event: unknown): boolean {
  return (event as { Event?: unknown } | null)?.Event === "s3:TestEvent";
}

function decodeKey(rawKey: string, keys: EventKeyEncoding): string {
  if (keys === "raw") return rawKey;
  try {
    return decodeURIComponent(rawKey.replace(/\+/g, " "));
  } catch {
    throw new L3cError(
      "INVALID_ARGUMENT",
      `object key is not URL-encoded: ${rawKey.slice(0, 100)} (a notifier that sends raw keys needs HOOKS_EVENT_KEYS=raw)`,
    );
  }
}

/** S3 event records (AWS, MinIO and versitygw shape) -> object refs, ObjectCreated only. */
export function objectsFromS3Event(event: unknown, keys: EventKeyEncoding = "url"): ObjectRef[] {
  const records = (event as { Records?: unknown[] })?.Records;
  if (!Array.isArray(records)) throw new L3cError("INVALID_ARGUMENT", "expected an S3 event with Records");
  const out: ObjectRef[] = [];
  for (const r of records) {
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
    out.push({ bucket, key: decodeKey(rawKey, keys), etag: s3?.object?.eTag, size: s3?.object?.size });
  }
  return out;
}
