/**
 * @module pool
 * A pool of decode workers per asset base URL, shared by every decode on the page (many
 * `<l3c-img>` elements use one pool). Jobs queue until a worker can take them; a worker
 * that dies (its script failed to load, say) fails its jobs and is replaced on next use.
 *
 * A job without previews goes to an idle worker only. A job with previews may join a
 * worker that already holds up to {@link PREVIEW_DEPTH} - 1 others: the worker lets its
 * tiles take turns level by level (worker.ts), so that every tile it holds shows its 1/8
 * image before any shows its 1/4, and the whole image is previewed early, not tile after
 * tile. Each worker still does the same work, so the full decode takes as long.
 */

import { L3cError } from "../../shared/errors.js";
import type { TileJob, TilePreview, TileResult } from "./protocol.js";

/** Jobs with previews one worker holds at once (tiles decoded by turns). */
export const PREVIEW_DEPTH = 4;

type Pending = {
  job: Omit<TileJob, "id">;
  signal?: AbortSignal;
  onPreview?: (p: TilePreview) => void;
  resolve: (p: Uint8Array) => void;
  reject: (e: Error) => void;
};

interface Slot {
  worker: Worker;
  jobs: Map<number, Pending>;
}

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
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
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

  /** A worker for `p`: a new one while the pool is not full, else the least busy that may take it. */
  private slotFor(p: Pending): Slot | undefined {
    if (this.slots.length < this.size) {
      const slot: Slot = { worker: spawn(this.script), jobs: new Map() };
      this.listen(slot);
      this.slots.push(slot);
      return slot;
    }
    const room = p.job.previews ? PREVIEW_DEPTH : 1;
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.jobs.size >= room) continue;
      if (p.job.previews && [...s.jobs.values()].some((q) => !q.job.previews)) continue;
      if (!best || s.jobs.size < best.jobs.size) best = s;
    }
    return best;
  }

  private pump(): void {
    while (this.queue.length) {
      if (this.queue[0].signal?.aborted) {
        this.queue.shift()!.reject(new L3cError("DEADLINE_EXCEEDED", "aborted"));
        continue;
      }
      const slot = this.slotFor(this.queue[0]);
      if (!slot) return;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      slot.jobs.set(id, p);
      slot.worker.postMessage({ ...p.job, id } satisfies TileJob);
    }
  }

  private listen(slot: Slot): void {
    slot.worker.onmessage = (e: MessageEvent<TileResult>) => {
      const p = slot.jobs.get(e.data.id);
      if (!p) return;
      if ("preview" in e.data) {
        p.onPreview?.(e.data.preview);
        return;
      }
      slot.jobs.delete(e.data.id);
      if ("error" in e.data) p.reject(toError(e.data.error));
      else p.resolve(e.data.pixels);
      this.pump();
    };
    slot.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      slot.worker.terminate();
      this.slots.splice(this.slots.indexOf(slot), 1);
      const err = new L3cError("INTERNAL", `decode worker failed: ${e.message || "script error"}`);
      for (const p of slot.jobs.values()) p.reject(err);
      slot.jobs.clear();
      this.pump();
    };
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
