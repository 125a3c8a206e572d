/**
 * @module api-error
 * A refusal in the service's own words. The codec's L3cError messages are fixed per code
 * and some speak of streams ("stream exceeds a configured limit", "stream names a model
 * that is not available"); where the request is at fault the service says in plain words
 * what failed, and keeps the code, status and detail of the L3cError behind it. The one
 * error handler (app.ts) turns both into JSON.
 */
import type { L3cError } from "../../shared/errors.js";

export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Context for humans (the library's words may go here, never into message). */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** `err` with `message` in its place; its detail is kept unless `detail` is given. */
  static from(err: L3cError, message: string, detail: string | undefined = err.detail): ApiError {
    return new ApiError(err.code, err.status, message, detail, { cause: err });
  }
}
