/**
 * @module accept
 * Content negotiation by the Accept header (RFC 9110 §12.5.1): media ranges with
 * q-values, the most specific range that matches an offer decides its quality
 * ("image/webp;q=0" beats "image/*"), q = 0 means "not acceptable", and ties go to the
 * server's order of preference. A missing or empty Accept accepts everything.
 *
 * An offer can be marked explicit-only: only a range that names it exactly, with q > 0,
 * selects it; wildcards and a missing Accept never do. RFC 9110 lets a server weigh its
 * own "quality" of each representation; a format that most clients cannot decode has
 * none for a client that did not name it, because `image/*` in a browser's `<img>`
 * request means "any image type I render", not "any image type there is".
 */

interface Range {
  type: string;
  subtype: string;
  q: number;
  specificity: number;
}

function parse(accept: string): Range[] {
  const out: Range[] = [];
  for (const part of accept.split(",").slice(0, 64)) {
    const [mt, ...params] = part.trim().split(";");
    const [type, subtype] = mt.trim().toLowerCase().split("/");
    if (!type || !subtype) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k?.trim().toLowerCase() === "q") {
        const n = Number(v);
        q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      }
    }
    const specificity = type === "*" ? 0 : subtype === "*" ? 1 : 2;
    if (type === "*" && subtype !== "*") continue;
    out.push({ type, subtype, q, specificity });
  }
  return out;
}

export interface NegotiateOptions {
  /** Offers that only a range naming them exactly selects (see the module doc). */
  explicitOnly?: readonly string[];
}

/**
 * Quality (0..1) the client gives `mediaType`; with `explicit`, only a range naming it
 * exactly counts (a missing Accept, `type/*` and any-type ranges give 0).
 */
export function quality(accept: string | null | undefined, mediaType: string, explicit = false): number {
  if (!accept?.trim()) return explicit ? 0 : 1;
  const [t, s] = mediaType.toLowerCase().split("/");
  let best: Range | undefined;
  for (const r of parse(accept)) {
    if (explicit && r.specificity < 2) continue;
    const matches = (r.type === "*" || r.type === t) && (r.subtype === "*" || r.subtype === s);
    if (matches && (!best || r.specificity > best.specificity)) best = r;
  }
  return best ? best.q : 0;
}

/**
 * The offer the client prefers (highest q; ties: earlier in `offers`), or undefined
 * when none is acceptable.
 */
export function negotiate(
  accept: string | null | undefined,
  offers: readonly string[],
  options: NegotiateOptions = {},
): string | undefined {
  const explicit = new Set(options.explicitOnly?.map((o) => o.toLowerCase()));
  let pick: string | undefined;
  let bestQ = 0;
  for (const o of offers) {
    const q = quality(accept, o, explicit.has(o.toLowerCase()));
    if (q > bestQ) {
      bestQ = q;
      pick = o;
    }
  }
  return pick;
}
