/**
 * @module ort-runner
 * A {@link GraphRunner} over any onnxruntime flavour (onnxruntime-node, onnxruntime-web),
 * injected as a module object so that this file imports no runtime. Sessions are created
 * lazily, one per graph role, from bytes the caller supplies (and has hash-checked).
 */

import { L3cError } from "./errors.js";
import type { GraphRunner, TensorData, TensorType } from "./l3c-model.js";

/** The slice of the onnxruntime API this runner uses (same in -node and -web). */
export interface OrtLike {
  Tensor: new (type: TensorType, data: TensorData["data"], dims: readonly number[]) => unknown;
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
}

interface OrtSession {
  run(
    feeds: Record<string, unknown>,
  ): Promise<Record<string, { type: string; data: unknown; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

export interface OrtRunnerOptions {
  /** intra-op threads (0: runtime default). */
  threads?: number;
  /** "disabled" | "basic" | "extended" | "all" (default "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Execution providers in preference order (default: runtime default): names, or
   * objects with a name and provider options (gpu-backend/src/provider.ts: CUDA's).
   */
  executionProviders?: (string | { name: string; [option: string]: unknown })[];
  /**
   * onnxruntime's CPU memory arena and memory patterns (default false). The arena keeps
   * the largest tensors of every graph allocated between runs; measured here on 512 x 512
   * tiles it was no faster and held ~1 GiB more per session set (per tile worker).
   */
  cpuMemArena?: boolean;
}

export class OrtRunner implements GraphRunner {
  private readonly sessions = new Map<string, Promise<OrtSession>>();

  constructor(
    private readonly ort: OrtLike,
    private readonly loadGraph: (role: string) => Promise<Uint8Array>,
    private readonly options: OrtRunnerOptions = {},
  ) {}

  private session(role: string): Promise<OrtSession> {
    let s = this.sessions.get(role);
    if (!s) {
      const opts: Record<string, unknown> = { graphOptimizationLevel: this.options.optimization ?? "all" };
      if (this.options.threads) {
        opts.intraOpNumThreads = this.options.threads;
        opts.interOpNumThreads = 1;
      }
      if (this.options.executionProviders) opts.executionProviders = this.options.executionProviders;
      if (!this.options.cpuMemArena) {
        opts.enableCpuMemArena = false;
        opts.enableMemPattern = false;
      }
      s = this.loadGraph(role).then((bytes) => this.ort.InferenceSession.create(bytes, opts));
      s.catch(() => this.sessions.delete(role));
      this.sessions.set(role, s);
    }
    return s;
  }

  /** Create every session now (so the first request does not pay for it). */
  async warm(roles: string[]): Promise<void> {
    await Promise.all(roles.map((r) => this.session(r)));
  }

  async run(role: string, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const s = await this.session(role);
    const f: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(feeds)) f[k] = new this.ort.Tensor(t.type, t.data, t.dims);
    const out = await s.run(f);
    const r: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(out)) {
      if (t.type !== "uint8" && t.type !== "int32" && t.type !== "float32") {
        throw new L3cError("UNKNOWN_MODEL", `graph ${role} output ${k} has type ${t.type}`);
      }
      r[k] = { type: t.type, data: t.data as TensorData["data"], dims: t.dims };
    }
    return r;
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s.catch(() => undefined))?.release?.();
    this.sessions.clear();
  }
}
