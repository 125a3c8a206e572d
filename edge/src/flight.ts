/**
 * @module flight
 * `KeyFlight`, a Durable Object per image key (`<bucket>/<key>`): the one place where a
 * key's variants are made, so that however many requests miss the cache at once, a key
 * costs one l3c encode and one decode (or conversion) per variant. Cloudflare runs one
 * instance of an object id worldwide, so the map of work in flight below is global; an
 * in-isolate map would dedupe only the requests that one isolate happens to see
 * (edge/README.md, "Single flight").
 *
 * What a variant is made from:
 * - a stored `<key>.l3c` that is intact (streams.ts) and fresh: the stream itself, or the
 *   backend's decode of it;
 * - else the original: the backend converts it losslessly to the variant at once, and the
 *   l3c encode runs in the background (one at a time), stored when done with
 *   `If-None-Match: *` (or `If-Match` on the stale or damaged stream it replaces). A first
 *   request never waits for an encode, except for `image/vnd.l3c` itself, which waits up
 *   to BACKEND_TIMEOUT_MS and then answers 503 with `Retry-After` while the encode goes on.
 *   An alarm set at the start of the encode starts it again if the object is evicted
 *   before it ends;
 * - a damaged stream whose original is gone is a 502 (never served, never cached).
 *
 * A finished result stays in memory for RECENT_MS, so a client that gave up on a slow
 * decode gets it at once when it asks again (the Worker's cache may never have seen it).
 */

import { L3cError } from "../../shared/errors.js";
import { MEDIA_TYPE, parseHeader } from "../../shared/format.js";
import {
  BackendCallError,
  backendConvert,
  backendDecode,
  backendEncode,
} from "../../shared/http/backend-client.js";
import type { EdgeEnv } from "./config.js";
import { type EdgeContext, edgeContext } from "./context.js";
import { CorruptStreamError, EncodingError, errorResponse, NotFoundError } from "./errors.js";
import type { OriginObject } from "./origin.js";
import {
  freshness,
  intactStream,
  pixelsTag,
  STREAM_SHA256,
  sha256Hex,
  tagOf,
  variantEtag,
} from "./streams.js";
import { VARIANTS, type Variant } from "./variants.js";

/** How long a finished variant is kept for a client that asks again. */
const RECENT_MS = 60_000;
/** At most this many bytes of finished variants are kept. */
const RECENT_BYTES = 64 * 1024 * 1024;
/** After a failed encode, how long until the next try: transient failures, refusals. */
const RETRY_MS = 60_000;
const REFUSED_MS = 3_600_000;
/** Background encode attempts (alarms) before the key waits for a new request. */
const ALARM_ATTEMPTS = 5;

/** What the Worker asks of a flight. */
export interface FlightRequest {
  bucket: string;
  key: string;
  variant: Variant;
}

interface Made {
  body: Uint8Array;
  type: Variant;
  etag: string;
}

/** The parts of workerd's DurableObjectState used here. */
export interface FlightState {
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
    setAlarm(when: number): Promise<void>;
    deleteAlarm(): Promise<void>;
  };
  waitUntil?(p: Promise<unknown>): void;
}

/** The flight's address: one Durable Object per bucket and key. */
export function flightName(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

export class KeyFlight {
  private target?: { bucket: string; key: string };
  private readonly inFlight = new Map<Variant, Promise<Made>>();
  private readonly recent = new Map<Variant, { made: Made; until: number }>();
  private encoding?: Promise<Uint8Array>;
  /** The last failed encode: not tried again for this original before `until`. */
  private failed?: { etag: string; until: number; error: unknown };
  /** Stream ETags already decoded once to check them (streams without a digest). */
  private readonly checked = new Set<string>();

  constructor(
    private readonly state: FlightState,
    private readonly env: EdgeEnv,
  ) {}

  async fetch(req: Request): Promise<Response> {
    try {
      const r = (await req.json()) as FlightRequest;
      if (!VARIANTS.includes(r.variant)) throw new Error(`unknown variant ${r.variant}`);
      this.target = { bucket: r.bucket, key: r.key };
      const made = await this.once(r.variant);
      return new Response(made.body as Uint8Array<ArrayBuffer>, {
        headers: { "Content-Type": made.type, ETag: made.etag },
      });
    } catch (e) {
      return errorResponse(e);
    }
  }

  /** The background encode's safety net: run it again when the object lost it. */
  async alarm(): Promise<void> {
    this.target ??= await this.state.storage.get<{ bucket: string; key: string }>("target");
    if (!this.target) return;
    const attempts = ((await this.state.storage.get<number>("attempts")) ?? 0) + 1;
    try {
      await this.once(MEDIA_TYPE, { waitForEncode: true });
      await this.state.storage.put("attempts", 0);
    } catch (e) {
      await this.state.storage.put("attempts", attempts);
      if (attempts < ALARM_ATTEMPTS && transient(e)) await this.state.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  /** The variant: a recent result, the work already in flight for it, or new work. */
  private once(variant: Variant, opts: { waitForEncode?: boolean } = {}): Promise<Made> {
    const recent = this.recent.get(variant);
    if (recent && recent.until > Date.now()) return Promise.resolve(recent.made);
    let p = this.inFlight.get(variant);
    if (!p) {
      p = this.make(edgeContext(this.env), variant, opts);
      this.inFlight.set(variant, p);
      p.then(
        (made) => this.remember(variant, made),
        () => undefined,
      ).finally(() => this.inFlight.delete(variant));
    }
    return p;
  }

  private remember(variant: Variant, made: Made): void {
    this.recent.set(variant, { made, until: Date.now() + RECENT_MS });
    let total = 0;
    for (const [v, r] of [...this.recent].reverse()) {
      total += r.made.body.length;
      if (total > RECENT_BYTES || r.until <= Date.now()) this.recent.delete(v);
    }
  }

  private async make(b: EdgeContext, variant: Variant, opts: { waitForEncode?: boolean }): Promise<Made> {
    const { bucket, key } = this.target!;
    const stored = await b.origin.get(bucket, `${key}.l3c`);
    let replacing: string | undefined;
    if (stored) {
      const { state, original } = await freshness(b.origin, bucket, key, stored);
      if (state !== "stale") {
        const made = await this.fromStream(b, stored, variant);
        if (made !== "unusable") return made;
        if (!original) throw new CorruptStreamError("the stored stream is damaged and the original is gone");
      }
      replacing = stored.etag;
    }
    const original = await b.origin.get(bucket, key);
    if (!original) throw new NotFoundError("no such object");
    const encoding = this.encode(b, original, replacing);
    if (variant === MEDIA_TYPE) {
      const stream = await (opts.waitForEncode ? encoding : this.bounded(encoding, b.cfg.backendTimeoutMs));
      return {
        body: stream,
        type: MEDIA_TYPE,
        etag: variantEtag(MEDIA_TYPE, (await sha256Hex(stream)).slice(0, 32)),
      };
    }
    const body = await backendConvert(b.cfg, original.body, variant);
    return { body, type: variant, etag: variantEtag(variant, await tagOf(original.etag)) };
  }

  /** The variant from a stored stream, or "unusable" when the stream is damaged. */
  private async fromStream(
    b: EdgeContext,
    stored: OriginObject,
    variant: Variant,
  ): Promise<Made | "unusable"> {
    const intact = await intactStream(stored);
    if (!intact.ok) return "unusable";
    try {
      if (variant === MEDIA_TYPE) {
        // A stream without a digest was stored by an older writer: decode it once before
        // serving it, since only a decode shows a damaged payload.
        if (!stored.metadata[STREAM_SHA256] && !this.checked.has(stored.etag)) {
          await backendDecode(b.cfg, stored.body, "image/png");
          this.checked.add(stored.etag);
        }
        return {
          body: stored.body,
          type: MEDIA_TYPE,
          etag: variantEtag(MEDIA_TYPE, intact.sha256.slice(0, 32)),
        };
      }
      const body = await backendDecode(b.cfg, stored.body, variant);
      return { body, type: variant, etag: variantEtag(variant, await pixelsTag(stored, intact.sha256)) };
    } catch (e) {
      // the backend read the stream and refused it: damaged, or coded by a model it lacks
      if (e instanceof BackendCallError && e.kind === "rejected" && (e.status === 400 || e.status === 422))
        return "unusable";
      throw e;
    }
  }

  /**
   * The l3c encode of `original`, one at a time: started here unless one runs, stored when
   * the backend attests it (an unattested stream is returned, never stored).
   */
  private encode(b: EdgeContext, original: OriginObject, replacing?: string): Promise<Uint8Array> {
    if (this.encoding) return this.encoding;
    const f = this.failed;
    if (f && f.etag === original.etag && f.until > Date.now()) return Promise.reject(f.error);
    const { bucket, key } = this.target!;
    const run = async () => {
      await this.state.storage.put("target", { bucket, key });
      await this.state.storage.setAlarm(Date.now() + b.cfg.encodeTimeoutMs + RETRY_MS);
      const answer = await backendEncode(
        { ...b.cfg, backendTimeoutMs: b.cfg.encodeTimeoutMs },
        original.body,
      );
      const h = parseHeader(answer.stream); // never store what does not parse
      if (answer.verified) {
        await b.origin.put(
          bucket,
          `${key}.l3c`,
          answer.stream,
          MEDIA_TYPE,
          {
            "l3c-model": answer.model || h.modelHash,
            "source-etag": original.etag,
            "l3c-width": String(h.width),
            "l3c-height": String(h.height),
            [STREAM_SHA256]: await sha256Hex(answer.stream),
          },
          replacing,
        );
      }
      await this.state.storage.deleteAlarm();
      return answer.stream;
    };
    const p = run();
    this.encoding = p;
    p.then(
      () => {
        this.failed = undefined;
      },
      async (error) => {
        this.failed = {
          etag: original.etag,
          until: Date.now() + (transient(error) ? RETRY_MS : REFUSED_MS),
          error,
        };
        if (!transient(error)) await this.state.storage.deleteAlarm().catch(() => undefined);
      },
    ).finally(() => {
      if (this.encoding === p) this.encoding = undefined;
    });
    this.state.waitUntil?.(p.catch(() => undefined));
    return p;
  }

  /** `p`, or EncodingError once `ms` have passed (the work goes on). */
  private bounded<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EncodingError("the l3c stream is still being encoded; ask again later")),
        ms,
      );
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }
}

/** Whether a failed encode may succeed later (a refusal or a bad image will not). */
function transient(e: unknown): boolean {
  if (e instanceof BackendCallError) return e.transient;
  return !(e instanceof L3cError);
}
