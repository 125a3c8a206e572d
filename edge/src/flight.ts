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
 *   The encode runs in the object's alarm handler: an alarm keeps the object alive for up
 *   to 15 minutes of work, where a promise left running after the request that started it
 *   may be cut off when the object is evicted for inactivity (a minute or two without
 *   requests); a transient failure sets the next alarm, up to ALARM_ATTEMPTS;
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
import { sha256Hex } from "../../shared/sha256.js";
import type { EdgeEnv } from "./config.js";
import { type EdgeContext, edgeContext } from "./context.js";
import { CorruptStreamError, EncodingError, errorResponse, NotFoundError } from "./errors.js";
import type { OriginObject } from "./origin.js";
import { freshness, intactStream, pixelsTag, STREAM_SHA256, tagOf, variantEtag } from "./streams.js";
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

/** A finished encode: the stream and its SHA-256 (hex), computed once for the store and the ETag. */
interface Encoded {
  stream: Uint8Array;
  sha256: string;
}

/** An l3c encode asked for and not finished: those who wait hold `promise`. */
interface EncodeJob {
  promise: Promise<Encoded>;
  resolve(e: Encoded): void;
  reject(e: unknown): void;
  original: OriginObject;
  /** The ETag of the stale or damaged stream the new one replaces. */
  replacing?: string;
}

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
}

/** The flight's address: one Durable Object per bucket and key. */
export function flightName(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

export class KeyFlight {
  private target?: { bucket: string; key: string };
  private readonly inFlight = new Map<Variant, Promise<Made>>();
  private readonly recent = new Map<Variant, { made: Made; until: number }>();
  private job?: EncodeJob;
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

  /**
   * Runs the encode asked for (encode()), or, when the object was evicted since or this is
   * a retry, the one that is still needed (none when a fresh, intact stream is stored).
   */
  async alarm(): Promise<void> {
    this.target ??= await this.state.storage.get<{ bucket: string; key: string }>("target");
    if (!this.target) return;
    const b = edgeContext(this.env);
    const job = this.job ?? (await this.pendingJob(b));
    if (!job) return;
    this.job = job;
    try {
      job.resolve(await this.runEncode(b, job));
      this.failed = undefined;
      await this.state.storage.put("attempts", 0);
    } catch (e) {
      job.reject(e);
      const retry = transient(e);
      this.failed = {
        etag: job.original.etag,
        until: Date.now() + (retry ? RETRY_MS : REFUSED_MS),
        error: e,
      };
      const attempts = ((await this.state.storage.get<number>("attempts")) ?? 0) + 1;
      await this.state.storage.put("attempts", attempts);
      if (retry && attempts < ALARM_ATTEMPTS) await this.state.storage.setAlarm(Date.now() + RETRY_MS);
    } finally {
      if (this.job === job) this.job = undefined;
    }
  }

  /** The variant: a recent result, the work already in flight for it, or new work. */
  private once(variant: Variant): Promise<Made> {
    const recent = this.recent.get(variant);
    if (recent && recent.until > Date.now()) return Promise.resolve(recent.made);
    let p = this.inFlight.get(variant);
    if (!p) {
      p = this.make(edgeContext(this.env), variant);
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

  private async make(b: EdgeContext, variant: Variant): Promise<Made> {
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
    const encoding = this.encode(original, replacing);
    if (variant === MEDIA_TYPE) {
      const { stream, sha256 } = await this.bounded(encoding, b.cfg.backendTimeoutMs);
      return { body: stream, type: MEDIA_TYPE, etag: variantEtag(MEDIA_TYPE, sha256) };
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
          etag: variantEtag(MEDIA_TYPE, intact.sha256),
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
   * The l3c encode of `original`: the one asked for already, or a new one that the alarm
   * handler runs at once. A refused or failed encode of this same original is not asked
   * for again before its time (a client cannot keep the backend busy by asking again).
   */
  private encode(original: OriginObject, replacing?: string): Promise<Encoded> {
    if (this.job) return this.job.promise;
    const f = this.failed;
    if (f && f.etag === original.etag && f.until > Date.now()) return Promise.reject(f.error);
    const job = newJob(original, replacing);
    this.job = job;
    this.state.storage
      .put("target", this.target)
      .then(() => this.state.storage.setAlarm(Date.now()))
      .catch((e) => {
        if (this.job === job) this.job = undefined;
        job.reject(e);
      });
    return job.promise;
  }

  /** The encode still needed when no job is in memory: none when a usable stream is stored. */
  private async pendingJob(b: EdgeContext): Promise<EncodeJob | undefined> {
    const { bucket, key } = this.target!;
    const stored = await b.origin.get(bucket, `${key}.l3c`);
    if (stored) {
      const { state } = await freshness(b.origin, bucket, key, stored);
      if (state === "orphan" || (state === "fresh" && (await intactStream(stored)).ok)) return undefined;
    }
    const original = await b.origin.get(bucket, key);
    if (!original) return undefined;
    const f = this.failed;
    if (f && f.etag === original.etag && f.until > Date.now()) return undefined;
    return newJob(original, stored?.etag);
  }

  /** Encodes the job's original and stores the stream when the backend attests it. */
  private async runEncode(b: EdgeContext, job: EncodeJob): Promise<Encoded> {
    const { bucket, key } = this.target!;
    const answer = await backendEncode(
      { ...b.cfg, backendTimeoutMs: b.cfg.encodeTimeoutMs },
      job.original.body,
    );
    const h = parseHeader(answer.stream); // never store what does not parse
    const sha256 = await sha256Hex(answer.stream);
    if (answer.verified) {
      await b.origin.put(
        bucket,
        `${key}.l3c`,
        answer.stream,
        MEDIA_TYPE,
        {
          "l3c-model": answer.model || h.modelHash,
          "source-etag": job.original.etag,
          "l3c-width": String(h.width),
          "l3c-height": String(h.height),
          [STREAM_SHA256]: sha256,
        },
        job.replacing,
      );
    }
    return { stream: answer.stream, sha256 }; // an unattested one is served to whoever waits, never stored
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

function newJob(original: OriginObject, replacing?: string): EncodeJob {
  let resolve!: (e: Encoded) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<Encoded>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a decoded variant does not wait for it
  return { promise, resolve, reject, original, replacing };
}

/**
 * Whether a failed encode may succeed soon: not a refusal or a bad image, nor an encode
 * that ran past the backend's deadline (trying again at once would waste as much again).
 */
function transient(e: unknown): boolean {
  if (e instanceof BackendCallError) return e.transient && e.code !== "DEADLINE_EXCEEDED";
  return !(e instanceof L3cError);
}
