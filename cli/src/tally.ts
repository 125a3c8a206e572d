/**
 * @module tally
 * What a run of `encode` or `decode` did with its inputs, counted as it happened: each
 * input is done (written now), skipped (--resume: its output was already there and
 * matched) or failed (named on stderr with its reason). The summary says all three.
 */

import { describe } from "./errors.js";
import { Progress } from "./progress.js";

export class Tally {
  done = 0;
  skipped = 0;
  failed = 0;
  readonly bar: Progress;

  constructor(
    label: string,
    readonly total: number,
    quiet: boolean,
  ) {
    this.bar = new Progress(label, total, quiet);
  }

  fail(path: string, e: unknown): void {
    this.failed++;
    this.bar.note(`l3c: ${path}: ${describe(e)}`);
  }

  /** "encoded 3/5 files: <detail>, 1 skipped (already done), 1 failed" */
  summary(verb: string, detail = ""): string {
    return (
      `${verb} ${this.done}/${this.total} files${detail ? `: ${detail}` : ""}` +
      `${this.skipped ? `, ${this.skipped} skipped (already done)` : ""}` +
      `${this.failed ? `, ${this.failed} failed` : ""}`
    );
  }

  get status(): number {
    return this.failed ? 1 : 0;
  }
}
