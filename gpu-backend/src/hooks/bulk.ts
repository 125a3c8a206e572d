/**
 * @module hooks/bulk
 * (Re)encode an existing bucket or prefix: every image without an up-to-date `<key>.l3c`
 * goes through the same hook (encode, verify, store). Resumable by construction: objects
 * already encoded for their current ETag are skipped, so an interrupted run simply runs
 * again. Reports bytes saved.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Progress } from "../progress.js";
import { type HookConfig, handleObjectCreated, IMAGE_KEY, type Outcome } from "./core.js";

export interface BulkReport {
  listed: number;
  stored: number;
  skipped: number;
  failed: number;
  sourceBytes: number;
  streamBytes: number;
  failures: Array<{ key: string; reason: string }>;
}

export async function bulkEncode(
  cfg: HookConfig,
  bucket: string,
  prefix = "",
  opts: { quiet?: boolean; concurrency?: number } = {},
): Promise<BulkReport> {
  const keys: Array<{ key: string; size?: number; etag?: string }> = [];
  let token: string | undefined;
  do {
    const r = await cfg.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) {
      if (o.Key && IMAGE_KEY.test(o.Key)) keys.push({ key: o.Key, size: o.Size, etag: o.ETag });
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  const report: BulkReport = {
    listed: keys.length,
    stored: 0,
    skipped: 0,
    failed: 0,
    sourceBytes: 0,
    streamBytes: 0,
    failures: [],
  };
  const bar = new Progress("bulk", keys.length, opts.quiet);
  let next = 0;
  let done = 0;
  const quietCfg: HookConfig = { ...cfg, log: cfg.log ?? (() => undefined) };
  const worker = async () => {
    while (next < keys.length) {
      const k = keys[next++];
      const out: Outcome = await handleObjectCreated(quietCfg, { bucket, ...k });
      if (out.status === "stored") {
        report.stored++;
        report.sourceBytes += out.sourceBytes;
        report.streamBytes += out.streamBytes;
      } else if (out.status === "skipped") report.skipped++;
      else {
        report.failed++;
        report.failures.push({ key: k.key, reason: out.reason });
      }
      bar.update(++done, `${report.stored} stored, ${report.failed} failed`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  bar.done();
  return report;
}
