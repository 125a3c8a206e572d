/**
 * @module progress
 * A dependency-free progress line on stderr: redrawn in place on a TTY, a line every
 * few seconds otherwise (CI logs), silent with `quiet`. Messages (a failed input) go
 * through `note`, which clears the line first, so none is lost in a redrawn line.
 */

export class Progress {
  private last = 0;
  /** A line is on the TTY, not ended. */
  private drawn = false;
  private readonly t0 = Date.now();

  constructor(
    private readonly label: string,
    private total: number,
    private readonly quiet = false,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, note = "", total?: number): void {
    if (total !== undefined) this.total = total;
    if (this.quiet) return;
    const now = Date.now();
    const tty = this.stream.isTTY;
    if (done < this.total && now - this.last < (tty ? 100 : 5000)) return;
    this.last = now;
    const frac = this.total ? done / this.total : 1;
    const width = 24;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, "-");
    const secs = (now - this.t0) / 1000;
    const eta =
      done > 0 && done < this.total ? ` eta ${Math.ceil((secs / done) * (this.total - done))}s` : "";
    const line = `${this.label} [${bar}] ${done}/${this.total}${eta}${note ? ` ${note}` : ""}`;
    if (tty) this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 100) - 1)}\x1b[K`);
    else this.stream.write(`${line}\n`);
    this.drawn = Boolean(tty);
  }

  /** A message on a line of its own, even with `quiet`; the bar is redrawn at the next update. */
  note(message: string): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
    this.last = 0;
    this.stream.write(`${message}\n`);
  }

  done(): void {
    if (this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
