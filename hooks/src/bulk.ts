/**
 * @module hooks/bulk
 * (Re)encode an existing bucket or prefix: every image without an up-to-date `<key>.l3c`
 * goes through the same hook (encode, verify, store). Resumable by construction: objects
 * already encoded for their current ETag are skipped, so an interrupted run simply runs
 * again. Stops early (the rest counted as pending) after `maxConsecutiveFailures`
 * transient failures in a row: with the backend or the bucket down, every further object
 * would only wait through its retries. Reports what it did and the bytes saved; the
 * report is exact (store.ts tells our writes from other writers').
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { type HookConfig, handleObjectCreated, IMAGE_KEY, type Outcome } from "./core.js";
import { PermanentError, s3Failure } from "./errors.js";

export interface BulkReport {
  listed: number;
  /** Encoded, verified and written by this run. */
  stored: number;
  /** Up to date already (or written meanwhile by another hook), or not encodable. */
  skipped: number;
  failed: number;
  /** Not attempted: the run stopped early (see `stopped`). */
  pending: number;
  /** Transient failures that were retried (a bucket or backend outage shows here). */
  retries: number;
  /** Source and stream bytes of the objects this run stored. */
  sourceBytes: number;
  streamBytes: number;
  failures: Array<{ key: string; reason: string }>;
  /** Why the run stopped before the end, when it did. */
  stopped?: string;
}

export interface BulkOptions {
  /** After each object: objects done, objects listed, a short summary (a progress bar). */
  onProgress?: (done: number, total: number, note: string) => void;
  /** Objects coded at once (default 1). */
  concurrency?: number;
  /** Keys per listing page (default: the server's, 1000 on S3). */
  pageSize?: number;
  /** Stop after this many transient failures in a row (default 5; 0: never). */
  maxConsecutiveFailures?: number;
}

type Listed = { key: string; size?: number; etag?: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every image key under the prefix; each page retried like an object (a restart mid-listing). */
async function listImages(
  cfg: HookConfig,
  bucket: string,
  prefix: string,
  pageSize: number | undefined,
  onRetry: () => void,
) {
  const keys: Listed[] = [];
  const attempts = cfg.attempts ?? 4;
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput | undefined;
    for (let i = 0; !page; i++) {
      try {
        page = await cfg.s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: pageSize,
          }),
        );
      } catch (e) {
        const f = s3Failure(`listing ${bucket}/${prefix}`, e);
        if (f instanceof PermanentError || i + 1 >= attempts) throw f;
        onRetry();
        await sleep((cfg.backoffMs ?? 500) * 2 ** i);
      }
    }
    for (const o of page.Contents ?? []) {
      if (o.Key && IMAGE_KEY.test(o.Key)) keys.push({ key: o.Key, size: o.Size, etag: o.ETag });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function bulkEncode(
  cfg: HookConfig,
  bucket: string,
  prefix = "",
  opts: BulkOptions = {},
): Promise<BulkReport> {
  let listingRetries = 0;
  const keys = await listImages(cfg, bucket, prefix, opts.pageSize, () => listingRetries++);
  const report: BulkReport = {
    listed: keys.length,
    stored: 0,
    skipped: 0,
    failed: 0,
    pending: 0,
    retries: listingRetries,
    sourceBytes: 0,
    streamBytes: 0,
    failures: [],
  };
  const limit = opts.maxConsecutiveFailures ?? 5;
  let next = 0;
  let done = 0;
  let inARow = 0;
  const log = cfg.log ?? (() => undefined);
  const quietCfg: HookConfig = {
    ...cfg,
    log: (line) => {
      if (line.event === "retry") report.retries++;
      log(line);
    },
  };
  const worker = async () => {
    while (next < keys.length && !report.stopped) {
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
      inARow = out.status === "failed" && out.transient ? inARow + 1 : 0;
      if (limit > 0 && inARow >= limit && !report.stopped)
        report.stopped = `${inARow} transient failures in a row, the last: ${out.status === "failed" ? out.reason : ""}`;
      done++;
      opts.onProgress?.(done, keys.length, `${report.stored} stored, ${report.failed} failed`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  report.pending = keys.length - done;
  return report;
}
