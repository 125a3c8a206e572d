/**
 * @module errors
 * The CLI's errors: a usage error (exit 2, before any work) and an output error (that
 * input fails, exit 1, the others go on), and the one line each failure is reported as.
 */

import { L3cError } from "../../shared/errors.js";

/** A command line that cannot run: reported with the usage text, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OutputErrorCode =
  /** The output exists and neither --force nor a matching --resume allows touching it. */
  | "EXISTS"
  /** --resume: the output exists and does not hold this input's pixels. */
  | "MISMATCH"
  /** The output is the input itself: never written, even with --force. */
  | "SAME_FILE"
  /** The output is a folder, a block device or a socket. */
  | "NOT_A_FILE"
  /** Writing failed (disk full, permissions, ...); nothing was left behind. */
  | "WRITE";

/** Why one input's output was not written. */
export class OutputError extends Error {
  override readonly name = "OutputError";
  constructor(
    readonly code: OutputErrorCode,
    /** The output path. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An input that cannot be read at all (a broken symbolic link in a folder, a loop). */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** One line for a failed input: the message, and the code of a codec error. */
export function describe(e: unknown): string {
  if (e instanceof L3cError) return `${e.describe()} [${e.code}]`;
  return (e as Error)?.message ?? String(e);
}

/** A file system error without the path Node appends ("ENOSPC: no space left on device"). */
export function systemReason(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && m.startsWith(`${code}: `) ? m.split(", ")[0] : m;
}
