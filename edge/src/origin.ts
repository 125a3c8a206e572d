/**
 * @module origin
 * Object storage behind the edge: an S3-compatible bucket (SigV4 via aws4fetch) or an R2
 * binding. Only buckets on the allow-list are ever named here (see keys.ts). Every read
 * and write, body included, ends within ORIGIN_TIMEOUT_MS: a stalled store answers 504,
 * never holds a client.
 */

import { AwsClient } from "aws4fetch";
import type { EdgeConfig, EdgeEnv } from "./config.js";

export interface OriginObject {
  body: Uint8Array;
  etag: string;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface GetOptions {
  /** Only the object's first `prefix` bytes (and its ETag and metadata). */
  prefix?: number;
}

export interface Origin {
  /** The object (or its first `prefix` bytes); null when it does not exist. */
  get(bucket: string, key: string, opts?: GetOptions): Promise<OriginObject | null>;
  /**
   * Creates the object unless it exists (S3: `If-None-Match: *`): a stream stored by the
   * hook or a concurrent request is never overwritten, and two writers write once. With
   * `replacing` (the ETag of the object read), replaces that object only if it is still
   * the one read (S3: `If-Match`), so a stale stream is replaced once and a newer one
   * written meanwhile is kept.
   */
  put(
    bucket: string,
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    replacing?: string,
  ): Promise<void>;
}

export class OriginError extends Error {
  constructor(
    message: string,
    /** The store did not answer within ORIGIN_TIMEOUT_MS. */
    readonly timeout = false,
  ) {
    super(message);
  }
}

function failure(what: string, e: unknown, ms: number): OriginError {
  const name = (e as Error)?.name;
  if (name === "TimeoutError" || name === "AbortError")
    return new OriginError(`origin ${what} timed out after ${ms} ms`, true);
  return new OriginError(`origin ${what} failed: ${(e as Error)?.message ?? String(e)}`);
}

/** `p`, or a TimeoutError after `ms` (for the R2 binding, which takes no AbortSignal). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { name: "TimeoutError" })), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * S3-compatible origin over signed fetch (aws4fetch: SigV4 for Workers; the AWS SDK's
 * browser build needs DOMParser, which workerd lacks). Path-style URLs:
 * <endpoint>/<bucket>/<key>.
 */
class S3Origin implements Origin {
  private readonly aws: AwsClient;
  private readonly endpoint: string;

  constructor(
    cfg: NonNullable<EdgeConfig["s3"]>,
    private readonly timeoutMs: number,
  ) {
    this.aws = new AwsClient({
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
      region: cfg.region,
      service: "s3",
    });
    this.endpoint = cfg.endpoint.replace(/\/+$/, "");
  }

  private url(bucket: string, key: string): string {
    return `${this.endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async get(bucket: string, key: string, opts: GetOptions = {}): Promise<OriginObject | null> {
    const { prefix } = opts;
    // one deadline for the answer and its body: a store that stalls mid-body times out too
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const r = await this.aws.fetch(this.url(bucket, key), {
        headers: prefix ? { Range: `bytes=0-${prefix - 1}` } : {},
        signal,
      });
      if (r.status === 404) {
        await r.body?.cancel();
        return null;
      }
      if (r.status === 416) {
        await r.body?.cancel();
        return this.get(bucket, key); // an empty object has no byte 0
      }
      if (r.status !== 200 && r.status !== 206) {
        await r.body?.cancel();
        throw new OriginError(`origin read failed: HTTP ${r.status}`);
      }
      const metadata: Record<string, string> = {};
      r.headers.forEach((v, k) => {
        if (k.startsWith("x-amz-meta-")) metadata[k.slice(11)] = v;
      });
      return {
        body: new Uint8Array(await r.arrayBuffer()),
        etag: r.headers.get("ETag") ?? "",
        contentType: r.headers.get("Content-Type") ?? undefined,
        metadata,
      };
    } catch (e) {
      if (e instanceof OriginError) throw e;
      throw failure("read", e, this.timeoutMs);
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    replacing?: string,
  ) {
    const headers: Record<string, string> = {
      "Content-Type": contentType,
      ...(replacing ? { "If-Match": replacing } : { "If-None-Match": "*" }),
    };
    for (const [k, v] of Object.entries(metadata)) headers[`x-amz-meta-${k}`] = v;
    let r: Response;
    let text = "";
    try {
      r = await this.aws.fetch(this.url(bucket, key), {
        method: "PUT",
        body: body as Uint8Array<ArrayBuffer>,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (r.status === 409) text = await r.text();
      else await r.body?.cancel();
    } catch (e) {
      throw failure("write", e, this.timeoutMs);
    }
    // 412: it exists already (or, replacing, was replaced or deleted meanwhile); 409
    // ConditionalRequestConflict (AWS): another write is in flight; 404 (AWS, If-Match on
    // a deleted object). Either way someone else decides what is stored.
    if (r.status === 412 || (replacing && r.status === 404)) return;
    if (text.includes("<Code>ConditionalRequestConflict</Code>")) return;
    if (r.status !== 200) throw new OriginError(`origin write failed: HTTP ${r.status}`);
  }
}

interface R2Like {
  get(
    key: string,
    opts?: { range?: { offset: number; length: number } },
  ): Promise<{
    arrayBuffer(): Promise<ArrayBuffer>;
    httpEtag: string;
    httpMetadata?: { contentType?: string };
    customMetadata?: Record<string, string>;
  } | null>;
  put(key: string, value: Uint8Array, opts: Record<string, unknown>): Promise<unknown>;
}

/** R2 binding name of a bucket: BUCKET_ + upper case, non-alphanumerics as "_". */
export function r2BindingName(bucket: string): string {
  return `BUCKET_${bucket.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

class R2Origin implements Origin {
  constructor(
    private readonly env: EdgeEnv,
    private readonly timeoutMs: number,
  ) {}

  private bucket(name: string): R2Like {
    const b = this.env[r2BindingName(name)] as R2Like | undefined;
    if (!b) throw new OriginError(`no R2 binding ${r2BindingName(name)}`);
    return b;
  }

  async get(bucket: string, key: string, opts: GetOptions = {}): Promise<OriginObject | null> {
    const { prefix } = opts;
    const b = this.bucket(bucket);
    const read = async () => {
      const o = await b.get(key, prefix ? { range: { offset: 0, length: prefix } } : undefined);
      if (!o) return null;
      return {
        body: new Uint8Array(await o.arrayBuffer()),
        etag: o.httpEtag,
        contentType: o.httpMetadata?.contentType,
        metadata: o.customMetadata ?? {},
      };
    };
    try {
      return await within(read(), this.timeoutMs);
    } catch (e) {
      throw failure("read", e, this.timeoutMs);
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    replacing?: string,
  ) {
    // R2 answers null instead of writing when the condition fails: someone else decided.
    // Create: only where no object exists (etagDoesNotMatch "*", S3's If-None-Match: *);
    // replace: only the object read (etagMatches its ETag, S3's If-Match).
    const onlyIf = replacing
      ? { etagMatches: replacing.replace(/^W\//, "").replace(/"/g, "") }
      : { etagDoesNotMatch: "*" };
    const b = this.bucket(bucket);
    try {
      await within(
        b.put(key, body, { httpMetadata: { contentType }, customMetadata: metadata, onlyIf }),
        this.timeoutMs,
      );
    } catch (e) {
      throw failure("write", e, this.timeoutMs);
    }
  }
}

export function createOrigin(cfg: EdgeConfig, env: EdgeEnv): Origin {
  return cfg.origin === "r2"
    ? new R2Origin(env, cfg.originTimeoutMs)
    : new S3Origin(cfg.s3!, cfg.originTimeoutMs);
}
