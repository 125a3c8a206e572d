/**
 * @module errors
 * Typed errors of the `.l3c` format, coder and codec. Every failure that input can
 * cause is an {@link L3cError} whose `message` is fixed per `code` (tests and clients
 * may match on it); variable context goes to `detail`. `status` is the HTTP status a
 * server maps the error to, once, in its error handler.
 */

export const ERROR_MESSAGES = {
  TRUNCATED: "stream is truncated",
  BAD_MAGIC: "not an l3c stream (bad magic)",
  UNSUPPORTED_VERSION: "unsupported l3c format version",
  BAD_HEADER: "invalid l3c header",
  HEADER_CHECKSUM: "l3c header checksum mismatch",
  LIMIT_EXCEEDED: "stream exceeds a configured limit",
  BAD_TILE_INDEX: "invalid l3c tile index",
  TRAILING_DATA: "unexpected bytes after the last tile",
  BAD_TILE: "invalid l3c tile payload",
  CORRUPT_RANGE_CODE: "range-coded data is corrupt",
  PIXEL_CHECKSUM: "decoded pixels do not match the stored checksum",
  UNKNOWN_MODEL: "stream names a model that is not available",
  INVALID_CDF: "invalid cdf",
  INVALID_ARGUMENT: "invalid argument",
  UNSUPPORTED_IMAGE: "unsupported image",
  DEADLINE_EXCEEDED: "the operation ran past its deadline",
  INTERNAL: "internal error",
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

const STATUS: Record<ErrorCode, number> = {
  TRUNCATED: 400,
  BAD_MAGIC: 400,
  UNSUPPORTED_VERSION: 400,
  BAD_HEADER: 400,
  HEADER_CHECKSUM: 400,
  LIMIT_EXCEEDED: 413,
  BAD_TILE_INDEX: 400,
  TRAILING_DATA: 400,
  BAD_TILE: 400,
  CORRUPT_RANGE_CODE: 400,
  PIXEL_CHECKSUM: 422,
  UNKNOWN_MODEL: 422,
  INVALID_CDF: 500,
  INVALID_ARGUMENT: 400,
  UNSUPPORTED_IMAGE: 415,
  DEADLINE_EXCEEDED: 503,
  INTERNAL: 500,
};

export class L3cError extends Error {
  override readonly name = "L3cError";
  readonly code: ErrorCode;
  readonly status: number;
  /** Context for humans and logs (field name, offending value); never parsed. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(ERROR_MESSAGES[code], options);
    this.code = code;
    this.status = STATUS[code];
    this.detail = detail;
  }

  /** Message plus detail, for CLIs and logs. */
  describe(): string {
    return this.detail ? `${this.message}: ${this.detail}` : this.message;
  }
}

/**
 * The one sentence of every invalid option, sharp's idiom: "Expected integer between 1 and
 * 100 for quality but received 101 of type number". `name` is the option as its user
 * wrote it (tileSize, --tile-size, L3C_WORKERS); `expected` says what would do.
 */
export function expectedMessage(name: string, expected: string, value: unknown): string {
  return `Expected ${expected} for ${name} but received ${String(value)} of type ${typeof value}`;
}

/** An INVALID_ARGUMENT error whose detail is {@link expectedMessage}. */
export function invalidOption(name: string, expected: string, value: unknown): L3cError {
  return new L3cError("INVALID_ARGUMENT", expectedMessage(name, expected, value));
}

/** An integer in [min, max], or INVALID_ARGUMENT in the idiom above. */
export function expectInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `integer between ${min} and ${max}`, value);
  }
  return value;
}

/** One of `choices`, or INVALID_ARGUMENT in the idiom above. */
export function expectOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value))
    throw invalidOption(name, `one of ${choices.join(", ")}`, value);
  return value as T;
}
