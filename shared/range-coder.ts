/**
 * @module range-coder
 * A byte-oriented range coder over integer CDFs with 16-bit precision (the carry-less
 * scheme of LZMA: 32-bit range, 33-bit low with a pending-carry cache).
 *
 * A symbol is coded from its cumulative frequency `start` and frequency `size` out of a
 * total of 2^16 (`PROB_BITS`): 0 <= start, 1 <= size, start + size <= 65536. The coder
 * never sees floating point; adaptive models simply pass a new CDF for every symbol.
 *
 * Byte stream (specified in SPEC.md §3; summary): the encoder starts with low = 0, range = 0xFFFFFFFF and a
 * cache byte 0, so the first byte of every stream is 0x00. Encoding a symbol:
 *   r = floor(range / 2^16); low += r * start; range = r * size;
 *   while range < 2^24: range *= 256; shiftLow()
 * Finishing flushes five shiftLow()s. The decoder reads byte 0 (must be 0x00) and the
 * next four bytes big-endian into `code`, then per symbol:
 *   r = floor(range / 2^16); target = min(floor(code / r), 2^16 - 1);
 *   (symbol s with start <= target < start + size); code -= r * start; range = r * size;
 *   while range < 2^24: code = code * 256 + next byte; range *= 256
 * A valid stream never needs bytes past its end and always keeps code < range; the
 * decoder reports either condition as a typed error rather than producing garbage. It
 * reads exactly the bytes the encoder wrote; bytes after them are never read (SPEC.md §2.6).
 */

import { L3cError } from "./errors.js";

export const PROB_BITS = 16;
export const PROB_ONE = 1 << PROB_BITS;
const TOP = 1 << 24;
const TWO32 = 2 ** 32;

export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private buf: Uint8Array;
  private pos = 0;
  private finished = false;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Code one symbol; see the module doc for the preconditions (checked). */
  encode(start: number, size: number): void {
    if (!(start >= 0 && size >= 1 && start + size <= PROB_ONE) || !Number.isInteger(start + size)) {
      throw new L3cError(
        "INVALID_ARGUMENT",
        `symbol interval start=${start} size=${size} outside [0, 65536]`,
      );
    }
    const r = Math.floor(this.range / PROB_ONE);
    this.low += r * start;
    this.range = r * size;
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  /** Code `symbol` with a CDF table (length n + 1, cdf[0] = 0, cdf[n] = 65536). */
  encodeSymbol(cdf: ArrayLike<number>, symbol: number): void {
    if (!(symbol >= 0 && symbol < cdf.length - 1)) {
      throw new L3cError("INVALID_ARGUMENT", `symbol ${symbol} outside alphabet of ${cdf.length - 1}`);
    }
    this.encode(cdf[symbol], cdf[symbol + 1] - cdf[symbol]);
  }

  /** Flush and return the stream. The encoder cannot be used afterwards. */
  finish(): Uint8Array {
    if (!this.finished) {
      for (let i = 0; i < 5; i++) this.shiftLow();
      this.finished = true;
    }
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes written so far (excluding what finish() adds). */
  get length(): number {
    return this.pos;
  }

  private shiftLow(): void {
    const low = this.low;
    if (low < 0xff000000 || low >= TWO32) {
      const carry = low >= TWO32 ? 1 : 0;
      let temp = this.cache;
      do {
        this.put((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = (low >>> 24) & 0xff;
    }
    this.cacheSize++;
    this.low = (low & 0x00ffffff) * 256;
  }

  private put(byte: number): void {
    if (this.pos === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.pos++] = byte;
  }
}

export class RangeDecoder {
  private code: number;
  private range = 0xffffffff;
  private r = 0;
  private pos: number;
  private readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    if (data.length < 5) throw new L3cError("TRUNCATED", `range-coded data of ${data.length} bytes`);
    if (data[0] !== 0) throw new L3cError("CORRUPT_RANGE_CODE", "first byte is not 0");
    this.data = data;
    this.code = ((data[1] << 24) | (data[2] << 16) | (data[3] << 8) | data[4]) >>> 0;
    this.pos = 5;
    if (this.code === 0xffffffff) throw new L3cError("CORRUPT_RANGE_CODE", "initial code out of range");
  }

  /** The cumulative frequency the next symbol's interval must contain (0..65535). */
  target(): number {
    this.r = Math.floor(this.range / PROB_ONE);
    const t = Math.floor(this.code / this.r);
    return t < PROB_ONE ? t : PROB_ONE - 1;
  }

  /** Consume the symbol whose interval [start, start + size) contains target(). */
  consume(start: number, size: number): void {
    const r = this.r;
    this.code -= r * start;
    this.range = r * size;
    if (!(this.code >= 0 && this.code < this.range)) {
      throw new L3cError("CORRUPT_RANGE_CODE", "decoder state left the coding interval");
    }
    while (this.range < TOP) {
      if (this.pos >= this.data.length) throw new L3cError("TRUNCATED", "range-coded data ended early");
      this.code = this.code * 256 + this.data[this.pos++];
      this.range *= 256;
    }
  }

  /** Decode one symbol with a CDF table (length n + 1). */
  decodeSymbol(cdf: ArrayLike<number>): number {
    const t = this.target();
    // Largest s with cdf[s] <= t, in [0, n).
    let lo = 0;
    let hi = cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] <= t) lo = mid;
      else hi = mid;
    }
    this.consume(cdf[lo], cdf[lo + 1] - cdf[lo]);
    return lo;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.pos;
  }
}
