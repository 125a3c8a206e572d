import { describe, expect, it } from "vitest";
import { isNotFound, PermanentError, s3Failure, TransientError } from "./errors.js";

const s3Error = (name: string, status?: number) =>
  Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });

describe("S3 error classification", () => {
  it.each([
    ["ECONNREFUSED", undefined],
    ["TimeoutError", undefined],
    ["InternalError", 500],
    ["ServiceUnavailable", 503],
    ["SlowDown", 503],
    ["TooManyRequests", 429],
    ["RequestTimeout", 400],
    ["IncompleteBody", 400],
    ["BadDigest", 400],
    ["ConditionalRequestConflict", 409],
  ])("%s (HTTP %s) is transient", (name, status) => {
    expect(s3Failure("origin write", s3Error(name, status))).toBeInstanceOf(TransientError);
  });

  it.each([
    ["AccessDenied", 403],
    ["SignatureDoesNotMatch", 403],
    ["NoSuchBucket", 404],
    ["ObjectParentIsFile", 409],
    ["InvalidArgument", 400],
    ["NotImplemented", 501],
  ])("%s (HTTP %s) is permanent", (name, status) => {
    expect(s3Failure("origin write", s3Error(name, status))).toBeInstanceOf(PermanentError);
  });

  it("names what failed, the code and the status", () => {
    expect(s3Failure("origin head", s3Error("AccessDenied", 403)).message).toBe(
      "origin head failed: AccessDenied (HTTP 403): AccessDenied message",
    );
  });

  it("a missing key is not found; a missing bucket is an error", () => {
    expect(isNotFound(s3Error("NotFound", 404))).toBe(true);
    expect(isNotFound(s3Error("NoSuchKey", 404))).toBe(true);
    expect(isNotFound(s3Error("NoSuchBucket", 404))).toBe(false);
  });
});
