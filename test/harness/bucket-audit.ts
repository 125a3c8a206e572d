/**
 * What a bucket holds, checked against what the test put in it: the invariant of the
 * crash tests. Every original is there with its bytes; every object has either a
 * `<key>.l3c` that decodes (tile checksums and all) to exactly the original's pixels and
 * is labelled with the original's current ETag, or no `.l3c` at all; nothing else exists
 * (no partial, temporary or leftover object, no open multipart upload). Problems are
 * returned as sentences, so a failing test says what it found.
 */
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import sharp from "sharp";
import type { Codec } from "../../node-codec/src/codec.js";

export interface EncodedObject {
  etag: string;
  writeId: string;
  sourceBytes: number;
  streamBytes: number;
}

export interface Audit {
  /** Originals with a good `.l3c`, by original key. */
  encoded: Map<string, EncodedObject>;
  /** Originals without a `.l3c`. */
  missing: string[];
  problems: string[];
}

async function get(s3: S3Client, bucket: string, key: string) {
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    body: Buffer.from(await o.Body!.transformToByteArray()),
    etag: o.ETag ?? "",
    meta: o.Metadata ?? {},
  };
}

export async function auditBucket(
  s3: S3Client,
  bucket: string,
  prefix: string,
  originals: Map<string, Uint8Array>,
  codec: Codec,
): Promise<Audit> {
  const audit: Audit = { encoded: new Map(), missing: [], problems: [] };
  const listed = new Set<string>();
  let token: string | undefined;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) listed.add(o.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const u of uploads.Uploads ?? []) audit.problems.push(`an open multipart upload of ${u.Key}`);
  for (const key of listed) {
    if (!originals.has(key) && !(key.endsWith(".l3c") && originals.has(key.slice(0, -4))))
      audit.problems.push(`unexpected object ${key}`);
  }
  for (const [key, bytes] of originals) {
    if (!listed.has(key)) {
      audit.problems.push(`original ${key} is gone`);
      continue;
    }
    const o = await get(s3, bucket, key);
    if (!o.body.equals(Buffer.from(bytes))) audit.problems.push(`original ${key} was changed`);
    if (!listed.has(`${key}.l3c`)) {
      audit.missing.push(key);
      continue;
    }
    const l = await get(s3, bucket, `${key}.l3c`);
    let pixels: Uint8Array;
    try {
      pixels = (await codec.decode(new Uint8Array(l.body))).data;
    } catch (e) {
      audit.problems.push(`${key}.l3c (${l.body.length} bytes) does not decode: ${(e as Error).message}`);
      continue;
    }
    const want = await sharp(Buffer.from(bytes)).raw().toBuffer();
    if (!Buffer.from(pixels).equals(want)) audit.problems.push(`${key}.l3c decodes to other pixels`);
    if (l.meta["source-etag"] !== o.etag)
      audit.problems.push(`${key}.l3c is labelled ${l.meta["source-etag"]}, the original is ${o.etag}`);
    if (Number(l.meta["l3c-bytes"]) !== l.body.length || Number(l.meta["source-bytes"]) !== bytes.length)
      audit.problems.push(`${key}.l3c's size metadata is wrong`);
    audit.encoded.set(key, {
      etag: l.etag,
      writeId: l.meta["l3c-write-id"] ?? "",
      sourceBytes: bytes.length,
      streamBytes: l.body.length,
    });
  }
  audit.missing.sort();
  return audit;
}

export interface BulkSummary {
  listed: number;
  stored: number;
  skipped: number;
  failed: number;
  pending: number;
  sourceBytes: number;
  streamBytes: number;
  savedBytes: number;
  retries?: number;
}

/**
 * Problems with a bulk run's summary, given the bucket before and after it (no other
 * writer ran meanwhile): what it says it stored are exactly the new `.l3c` objects, with
 * their bytes; what it skipped were there before; what it failed or left are missing.
 */
export function summaryProblems(s: BulkSummary, before: Audit, after: Audit): string[] {
  const out: string[] = [];
  const fresh = [...after.encoded].filter(([k, v]) => before.encoded.get(k)?.writeId !== v.writeId);
  const kept = [...after.encoded].filter(([k, v]) => before.encoded.get(k)?.writeId === v.writeId);
  const expect = (what: string, said: number, found: number) => {
    if (said !== found) out.push(`the summary says ${said} ${what}, the bucket shows ${found}`);
  };
  expect("listed", s.listed, before.encoded.size + before.missing.length);
  expect("stored", s.stored, fresh.length);
  expect("skipped", s.skipped, kept.length);
  expect("failed or not attempted", s.failed + s.pending, after.missing.length);
  const src = fresh.reduce((n, [, v]) => n + v.sourceBytes, 0);
  const dst = fresh.reduce((n, [, v]) => n + v.streamBytes, 0);
  expect("source bytes", s.sourceBytes, src);
  expect("stream bytes", s.streamBytes, dst);
  expect("bytes saved", s.savedBytes, src - dst);
  return out;
}
