/**
 * @module tile-pool
 * Worker threads that run tiles off the main thread. onnxruntime-node's `run` blocks the
 * event loop for the whole graph, and the entropy coder is plain JavaScript, so without
 * workers one process codes one tile at a time and a service stops answering (health
 * checks, timeouts) while it does. Each worker holds its own sessions; a tile goes to the
 * first idle worker, else waits in a FIFO queue. Results are the same bytes as in the main
 * thread (the integer graphs and the coder are deterministic).
 *
 * A worker that dies (out of memory, native crash) fails only the tile it held, with
 * INTERNAL, and is replaced.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { TileModel } from "../../shared/container.js";
import { type ErrorCode, expectInteger, L3cError } from "../../shared/errors.js";
import { defaultWorkers, type RuntimeOptions } from "./runtime-options.js";

/** What a worker is started with: the codec's runtime options, threads per worker. */
export interface WorkerInit extends RuntimeOptions {
  threads: number;
}

export interface TileJob {
  id: number;
  op: "encode" | "decode" | "warm";
  modelId: string;
  data: Uint8Array;
  width: number;
  height: number;
}

export type TileReply =
  | { id: number; ok: true; data: Uint8Array }
  | { id: number; ok: false; code?: ErrorCode; detail?: string; message?: string };

interface Slot {
  worker: Worker;
  job?: { job: TileJob; resolve: (b: Uint8Array) => void; reject: (e: unknown) => void };
  ready: Promise<void>;
}

export interface TilePoolOptions extends Omit<WorkerInit, "threads"> {
  /** Worker threads (default: runtime-options.ts defaultWorkers). */
  workers?: number;
  /** onnxruntime intra-op threads per worker (default: cores / workers, at least 1). */
  threads?: number;
}

export class TilePool {
  readonly size: number;
  private readonly init: WorkerInit;
  private readonly slots: Slot[] = [];
  private readonly queue: Array<NonNullable<Slot["job"]>> = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: TilePoolOptions) {
    const cores = availableParallelism();
    this.size = expectInteger("workers", opts.workers ?? defaultWorkers(), 1, 256);
    this.init = { ...opts, threads: opts.threads || Math.max(1, Math.floor(cores / this.size)) };
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./tile-worker.mjs", import.meta.url), { workerData: this.init });
    worker.unref();
    let started = false;
    const slot: Slot = {
      worker,
      ready: new Promise((resolve, reject) => {
        worker.once("message", () => {
          started = true;
          resolve();
        });
        worker.once("error", reject);
      }),
    };
    slot.ready.catch(() => undefined);
    worker.on("message", (m: TileReply | { ready: true }) => {
      if ("ready" in m) return;
      const j = slot.job;
      if (!j || j.job.id !== m.id) return;
      slot.job = undefined;
      if (m.ok) j.resolve(m.data);
      else if (m.code) j.reject(new L3cError(m.code, m.detail));
      else j.reject(new L3cError("INTERNAL", m.message));
      this.pump();
    });
    worker.on("exit", (code) => {
      const i = this.slots.indexOf(slot);
      const j = slot.job;
      slot.job = undefined;
      j?.reject(new L3cError("INTERNAL", `tile worker exited with code ${code}`));
      // A worker that never started would fail the same way again: no respawn loop.
      if (i >= 0 && !this.closed && started) {
        this.slots[i] = this.spawn();
        this.pump();
      }
    });
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!this.queue.length) break;
      if (slot.job) continue;
      const j = this.queue.shift()!;
      slot.job = j;
      slot.worker.ref();
      try {
        slot.worker.postMessage(j.job, [j.job.data.buffer as ArrayBuffer]);
      } catch (e) {
        slot.job = undefined;
        j.reject(new L3cError("INTERNAL", `could not hand a tile to a worker: ${(e as Error).message}`));
      }
    }
    // Idle workers must not keep the process alive.
    for (const s of this.slots) if (!s.job) s.worker.unref();
  }

  /** Codes one tile in a worker. `data` is transferred (the caller must not reuse it). */
  run(op: TileJob["op"], modelId: string, data: Uint8Array, width: number, height: number) {
    if (this.closed) return Promise.reject(new L3cError("INTERNAL", "tile pool is closed"));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, op, modelId, data, width, height }, resolve, reject });
      this.pump();
    });
  }

  /** A {@link TileModel} whose tiles run in this pool. */
  model(hexId: string): TileModel {
    const id = Uint8Array.from(Buffer.from(hexId, "hex"));
    return {
      id,
      // Copies (a Buffer's slice() is a view): the copy's buffer is transferred.
      encodeTile: (rgb, w, h) => this.run("encode", hexId, new Uint8Array(rgb), w, h),
      decodeTile: (data, w, h) => this.run("decode", hexId, new Uint8Array(data), w, h),
    };
  }

  /** Creates every worker's sessions of a model now (so the first request does not pay). */
  async warm(hexId: string): Promise<void> {
    await Promise.all(this.slots.map(() => this.run("warm", hexId, new Uint8Array(0), 0, 0)));
  }

  /** Waits until every worker has loaded its runtime (for readiness probes). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /**
   * Refuses queued tiles, lets the tiles in flight finish (at most `drainMs`), then stops
   * the workers. Terminating a worker inside an onnxruntime-node run aborts the whole
   * process ("terminate called after throwing an instance of 'Napi::Error'", measured),
   * so close() never does that while a worker is busy, unless a tile outlives `drainMs`.
   */
  async close(drainMs = 300_000): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new L3cError("INTERNAL", "tile pool closed"));
    const inflight = this.slots.flatMap((s) => {
      const j = s.job;
      if (!j) return [];
      return [
        new Promise<void>((done) => {
          const { resolve, reject } = j;
          j.resolve = (b) => {
            resolve(b);
            done();
          };
          j.reject = (e) => {
            reject(e);
            done();
          };
        }),
      ];
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(inflight),
      new Promise<void>((r) => {
        timer = setTimeout(r, drainMs);
      }),
    ]);
    clearTimeout(timer);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
