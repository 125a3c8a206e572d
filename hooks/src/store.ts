/**
 * @module hooks/store
 * Writes `<key>.l3c` with a conditional PUT, so that concurrent hooks for the same object
 * (a notification delivered twice, the webhook and bulk at once) write it once: a new
 * stream goes in with `If-None-Match: *`, a replacement for a stale one (the original
 * changed) with `If-Match: <the stale one's ETag>`. The loser gets 412 and looks at what
 * won (AWS may answer 409 ConditionalRequestConflict while both are in flight: the same).
 * Each handling of an object writes its own random `l3c-write-id`, so a stream that an
 * earlier attempt of ours stored (its answer lost: connection cut, server restarted) is
 * told apart from another writer's, and the outcome (stored or skipped) is exact.
 * Atomicity is the server's: S3 stores a PUT whole or not at all, and checks the SDK's
 * CRC32 of the body.
 */
import { createHash, randomUUID } from "node:crypto";
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { MEDIA_TYPE } from "../../shared/format.js";
import {
  isConditionalConflict,
  isNotFound,
  isPreconditionFailed,
  s3Failure,
  s3Status,
  TransientError,
} from "./errors.js";

export interface StoredL3c {
  etag?: string;
  sourceEtag?: string;
  writeId?: string;
  sourceBytes: number;
  streamBytes: number;
  bpsp: number;
  verifiedBy: "backend" | "decode";
}

/** The current `<key>.l3c`'s ETag and metadata, or undefined when there is none. */
export async function headL3c(s3: S3Client, bucket: string, l3cKey: string): Promise<StoredL3c | undefined> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: l3cKey }));
    const m = h.Metadata ?? {};
    return {
      etag: h.ETag,
      sourceEtag: m["source-etag"],
      writeId: m["l3c-write-id"],
      sourceBytes: Number(m["source-bytes"] ?? 0),
      streamBytes: h.ContentLength ?? 0,
      bpsp: Number(m.bpsp ?? 0),
      verifiedBy: m["l3c-verified-by"] === "decode" ? "decode" : "backend",
    };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw s3Failure("origin head", e);
  }
}

export type StoreResult = "written" | "written-by-other";

export const newWriteId = () => randomUUID();

/**
 * PUT the stream unless another writer got there first. `replacing` is the stale stream
 * this one replaces (undefined: there was none). "written-by-other": a stream for this
 * same source ETag is already there (idempotent: nothing to do).
 */
export async function putL3c(
  s3: S3Client,
  o: {
    bucket: string;
    l3cKey: string;
    stream: Uint8Array;
    sourceEtag: string;
    /** This handling's id (newWriteId), the same for all its attempts. */
    writeId: string;
    replacing?: StoredL3c;
    metadata: Record<string, string>;
  },
): Promise<StoreResult> {
  const { writeId } = o;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: o.l3cKey,
        Body: o.stream,
        ContentType: MEDIA_TYPE,
        ...(o.replacing?.etag ? { IfMatch: o.replacing.etag } : { IfNoneMatch: "*" }),
        // l3c-sha256: the edge serves a stored stream only if its bytes still hash to it
        Metadata: {
          ...o.metadata,
          "source-etag": o.sourceEtag,
          "l3c-write-id": writeId,
          "l3c-sha256": createHash("sha256").update(o.stream).digest("hex"),
        },
      }),
    );
    return "written";
  } catch (e) {
    // If-Match on a stream that someone deleted meanwhile: AWS answers 404; look again.
    if (o.replacing && s3Status(e) === 404)
      throw new TransientError(`origin write: ${o.l3cKey} vanished while encoding; trying again`);
    // 412: another stream is there; 409 ConditionalRequestConflict (AWS): another
    // conditional write was in flight. Either way, look at what is there now.
    if (!isPreconditionFailed(e) && !isConditionalConflict(e)) throw s3Failure("origin write", e);
  }
  const now = await headL3c(s3, o.bucket, o.l3cKey);
  if (now?.writeId === writeId) return "written"; // ours landed before; this retry got the 412
  if (now?.sourceEtag === o.sourceEtag) return "written-by-other";
  throw new TransientError(`origin write lost a race: ${o.l3cKey} changed while encoding; trying again`);
}
