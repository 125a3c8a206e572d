/**
 * @module pool
 * A pool of decode workers per asset base URL, shared by every decode on the page (many
 * `<l3c-img>` elements use one pool). Jobs queue until a worker is free; a worker that
 * dies (its script failed to load, say) fails its job and is replaced on next use.
 */

import { L3cError } from "../../shared/errors.js";
import type { TileJob, TilePreview, TileResult } from "./protocol.js";

type Pending = {
  job: Omit<TileJob, "id">;
  signal?: AbortSignal;
  onPreview?: (p: TilePreview) => void;
  resolve: (p: Uint8Array) => void;
  reject: (e: Error) => void;
};

/**
 * A module worker from `url`. Browsers refuse a cross-origin worker script, so for a
 * module served by another origin (the edge, with CORS) a same-origin blob imports it.
 */
function spawn(url: URL): Worker {
  if (url.origin === globalThis.location?.origin) return new Worker(url, { type: "module" });
  const blob = new Blob([`import ${JSON.stringify(url.href)};`], { type: "text/javascript" });
  return new Worker(URL.createObjectURL(blob), { type: "module" });
}

function toError(e: Extract<TileResult, { error: unknown }>["error"]): Error {
  if (e.code) return new L3cError(e.code as L3cError["code"], e.detail);
  return new L3cError("INTERNAL", `${e.name}: ${e.message}`);
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private live = 0;
  private nextId = 1;

  constructor(
    private readonly script: URL,
    readonly size: number,
  ) {}

  /**
   * Decode one tile; a job whose signal is aborted before it starts is dropped. With
   * `onPreview`, the worker sends the tile's coarse levels as it decodes them.
   */
  run(
    job: Omit<TileJob, "id" | "previews">,
    signal?: AbortSignal,
    onPreview?: (p: TilePreview) => void,
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        job: { ...job, previews: onPreview !== undefined },
        signal,
        onPreview,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      if (this.queue[0].signal?.aborted) {
        this.queue.shift()!.reject(new L3cError("DEADLINE_EXCEEDED", "aborted"));
        continue;
      }
      let w = this.idle.pop();
      if (!w && this.live < this.size) {
        w = spawn(this.script);
        this.live++;
      }
      if (!w) return;
      this.start(w, this.queue.shift()!);
    }
  }

  private start(w: Worker, p: Pending): void {
    const id = this.nextId++;
    const done = () => {
      w.onmessage = null;
      w.onerror = null;
    };
    w.onmessage = (e: MessageEvent<TileResult>) => {
      if (e.data.id !== id) return;
      if ("preview" in e.data) {
        p.onPreview?.(e.data.preview);
        return;
      }
      done();
      this.idle.push(w);
      if ("error" in e.data) p.reject(toError(e.data.error));
      else p.resolve(e.data.pixels);
      this.pump();
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      done();
      w.terminate();
      this.live--;
      p.reject(new L3cError("INTERNAL", `decode worker failed: ${e.message || "script error"}`));
      this.pump();
    };
    w.postMessage({ ...p.job, id } satisfies TileJob);
  }
}

const pools = new Map<string, WorkerPool>();

/** The page's pool for workers at `script` (created on first use). */
export function poolFor(script: URL, size: number): WorkerPool {
  let p = pools.get(script.href);
  if (!p) {
    p = new WorkerPool(script, size);
    pools.set(script.href, p);
  }
  return p;
}
