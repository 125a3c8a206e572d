/**
 * @module options
 * Options given as text (command-line flags, environment variables, Worker bindings,
 * query strings), read with the one validation idiom of errors.ts: decimal text is
 * checked as the number it spells, anything else as the text received, so `--tile-size
 * 100` fails with "Expected multiple of 8 between 64 and 4096 for --tile-size but
 * received 100 of type number" and `L3C_WORKERS=x` with "... but received x of type
 * string". Each tier keeps its own error type (a usage error, a configuration error) and
 * its own names for options; the sentence is the same everywhere.
 */

import { expectedMessage, expectInteger, expectOneOf, L3cError } from "./errors.js";

export interface OptionReaderOptions {
  /** The option's name as its user sees it (default: the key, e.g. PORT; the CLI: `--${key}`). */
  label?: (key: string) => string;
  /** The error thrown for an invalid or missing option (default: L3cError INVALID_ARGUMENT). */
  error?: (message: string) => Error;
}

export interface OptionReader {
  /** The text of an option; undefined when it is unset or empty. */
  text(key: string): string | undefined;
  /** The text of an option that must be set. */
  required(key: string): string;
  /** An option checked by `check` (e.g. expectTileSize), decimal text as a number. */
  value<T>(key: string, check: (name: string, value: unknown) => T): T | undefined;
  integer(key: string, min: number, max: number): number | undefined;
  integer(key: string, min: number, max: number, fallback: number): number;
  /** One of `choices`; the fallback (default: none) when unset. */
  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined;
  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Decimal text as the number it spells; any other text as is. */
export function fromText(text: string): string | number {
  return DECIMAL.test(text.trim()) ? Number(text) : text;
}

export function readOptions(
  source: Readonly<Record<string, unknown>>,
  opts: OptionReaderOptions = {},
): OptionReader {
  const label = opts.label ?? ((k: string) => k);
  const fail = opts.error ?? ((m: string) => new L3cError("INVALID_ARGUMENT", m));
  const text = (key: string): string | undefined => {
    const v = source[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw fail(expectedMessage(label(key), "text", v));
    return v;
  };
  const value = <T>(key: string, check: (name: string, value: unknown) => T): T | undefined => {
    const t = text(key);
    if (t === undefined) return undefined;
    try {
      return check(label(key), fromText(t));
    } catch (e) {
      if (e instanceof L3cError && e.code === "INVALID_ARGUMENT") throw fail(e.detail ?? e.message);
      throw e;
    }
  };
  return {
    text,
    required(key) {
      const t = text(key);
      if (t === undefined) throw fail(`${label(key)} must be set`);
      return t;
    },
    value,
    integer(key: string, min: number, max: number, fallback?: number) {
      return value(key, (n, v) => expectInteger(n, v, min, max)) ?? fallback;
    },
    oneOf<T extends string>(key: string, choices: readonly T[], fallback?: T) {
      // Choices are names, never numbers: compare the text as given.
      const t = text(key);
      if (t === undefined) return fallback;
      try {
        return expectOneOf(label(key), t, choices);
      } catch (e) {
        throw fail((e as L3cError).detail ?? (e as Error).message);
      }
    },
  } as OptionReader;
}
