/**
 * @module hooks/errors
 * The hook's two kinds of failure: transient ones are retried (and a message left for
 * redelivery), permanent ones are dead-lettered at once. S3 errors are classified here,
 * by status and code, the same for AWS and S3-compatible servers: no answer at all
 * (refused, reset, timed out), 5xx, 429 and the 400s that mean "the request was cut or
 * garbled on the way" are transient; other 4xx (403 credentials, 404 bucket, 409
 * ObjectParentIsFile on posix-backed servers, 501 NotImplemented) are permanent: retrying
 * them cannot help. 412 is neither: the caller asked for it (conditional requests); nor is
 * 409 ConditionalRequestConflict, AWS's answer to a conditional write that met another
 * one in flight ("fetch the object's ETag and retry"): transient when not handled.
 */

export class TransientError extends Error {
  override readonly name = "TransientError";
}

export class PermanentError extends Error {
  override readonly name = "PermanentError";
  constructor(
    message: string,
    /** The backend's HTTP status, when the backend refused the request. */
    readonly backendStatus?: number,
  ) {
    super(message);
  }
}

/** 400s that a retry can cure: the request did not arrive whole or in time. */
const TRANSIENT_400 = new Set(["RequestTimeout", "IncompleteBody", "BadDigest", "XAmzContentSHA256Mismatch"]);

export function s3Status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export const isNotFound = (e: unknown) => s3Status(e) === 404 && (e as Error)?.name !== "NoSuchBucket";
export const isPreconditionFailed = (e: unknown) => s3Status(e) === 412;
export const isConditionalConflict = (e: unknown) =>
  s3Status(e) === 409 && (e as Error)?.name === "ConditionalRequestConflict";

/** `<what> failed: <code> (HTTP <status>): <message>`, transient or permanent as above. */
export function s3Failure(what: string, e: unknown): TransientError | PermanentError {
  if (e instanceof TransientError || e instanceof PermanentError) return e;
  const status = s3Status(e);
  const name = (e as Error)?.name ?? "Error";
  const text = `${what} failed: ${name}${status ? ` (HTTP ${status})` : ""}: ${(e as Error)?.message ?? e}`;
  if (status === undefined || status >= 500 || status === 429 || status === 408) {
    if (status !== 501) return new TransientError(text);
  }
  if (status === 400 && TRANSIENT_400.has(name)) return new TransientError(text);
  if (isConditionalConflict(e)) return new TransientError(text);
  return new PermanentError(text);
}
