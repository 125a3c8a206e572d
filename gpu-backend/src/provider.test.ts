/**
 * The CUDA probe with stub runtimes that accept or refuse `cuda`, and the role it probes
 * with present in every model (the pyramid models have no `head0`, the role it used to
 * load: the failure was swallowed and a GPU container served from the CPU).
 */
import { describe, expect, it, vi } from "vitest";
import { listModels } from "../../node-codec/src/model-store.js";
import {
  CHECK_ROLE,
  CUDA_PROVIDER,
  chooseProvider,
  type ExactnessCheck,
  executionProviders,
  PROBE_ROLE,
  type SessionFactory,
} from "./provider.js";

const GRAPH = new Uint8Array([1, 2, 3]);
const INT = new Uint8Array([4]);
const FLOAT = new Uint8Array([5]);
const CHECK: ExactnessCheck = {
  intGraph: INT,
  floatGraph: FLOAT,
  feeds: { z1: { data: new Uint8Array(4), dims: [1, 1, 2, 2] } },
};

const isCuda = (p: string | { name: string }) => (typeof p === "string" ? p : p.name) === "cuda";

/** A runtime that accepts or refuses cuda; its CUDA float graph gives the CPU's outputs, or one byte off. */
function stubOrt(cuda: "accept" | "refuse", floatOnCuda: "exact" | "off-by-one" = "exact") {
  const release = vi.fn(async () => undefined);
  const create = vi.fn(
    async (model: Uint8Array, options: { executionProviders: (string | { name: string })[] }) => {
      const onCuda = options.executionProviders.some(isCuda);
      if (cuda === "refuse" && onCuda) throw new Error("libcudart.so.12: cannot open shared object file");
      const run = vi.fn(async () => {
        const data = Int32Array.from([7, -3, 255]);
        if (model === FLOAT && onCuda && floatOnCuda === "off-by-one") data[1] += 1;
        return { z1_params: { data, dims: [1, 3] } };
      });
      return { release, run };
    },
  );
  class Tensor {
    constructor(
      readonly type: string,
      readonly data: Uint8Array,
      readonly dims: readonly number[],
    ) {}
  }
  const ort: SessionFactory = { InferenceSession: { create }, Tensor };
  return { ort: async () => ort, create, release };
}

describe("the CUDA probe", () => {
  it("picks CUDA when a CUDA session of the probe graph can be created", async () => {
    const s = stubOrt("accept");
    const choice = await chooseProvider({
      runtime: "node",
      cudaDisabled: false,
      probeGraph: () => GRAPH,
      ort: s.ort,
      exactness: () => CHECK,
    });
    expect(choice).toEqual({ provider: "cuda", graphForm: "float-exact" });
    // CUDA sessions: the DEFAULT cuDNN algorithm (no exhaustive search), no TF32
    expect(CUDA_PROVIDER).toEqual({ name: "cuda", cudnn_conv_algo_search: "DEFAULT", use_tf32: 0 });
    expect(s.create).toHaveBeenCalledWith(GRAPH, { executionProviders: [CUDA_PROVIDER] });
    // the exactness check: the integer graph on the CPU, its float form on CUDA
    expect(s.create).toHaveBeenCalledWith(INT, { executionProviders: ["cpu"] });
    expect(s.create).toHaveBeenCalledWith(FLOAT, { executionProviders: [CUDA_PROVIDER] });
    expect(s.release).toHaveBeenCalledTimes(3);
    expect(executionProviders(choice)).toEqual([CUDA_PROVIDER, "cpu"]);
  });

  it("stays on the CPU when CUDA's float form differs from the integer graph in one value", async () => {
    const s = stubOrt("accept", "off-by-one");
    expect(
      await chooseProvider({
        runtime: "node",
        cudaDisabled: false,
        probeGraph: () => GRAPH,
        ort: s.ort,
        exactness: () => CHECK,
      }),
    ).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason: `the float-exact graphs are not exact on CUDA here: ${CHECK_ROLE} output z1_params[1]: -2 on CUDA, -3 on the CPU`,
    });
  });

  it("stays on the CPU when there is nothing to check exactness with, or the check fails", async () => {
    const s = stubOrt("accept");
    const base = { runtime: "node" as const, cudaDisabled: false, probeGraph: () => GRAPH, ort: s.ort };
    expect(await chooseProvider(base)).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason: `no ${CHECK_ROLE} graph pair to check CUDA's exactness with`,
    });
    expect(
      await chooseProvider({
        ...base,
        exactness: () => {
          throw new Error("tiny-old/forms.json has no dec1");
        },
      }),
    ).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason: "the exactness check on CUDA failed: tiny-old/forms.json has no dec1",
    });
  });

  it("falls back to the CPU and says why when onnxruntime refuses cuda", async () => {
    const s = stubOrt("refuse");
    expect(
      await chooseProvider({ runtime: "node", cudaDisabled: false, probeGraph: () => GRAPH, ort: s.ort }),
    ).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason:
        "onnxruntime-node could not create a CUDA session: libcudart.so.12: cannot open shared object file",
    });
  });

  it("says so when the probe graph cannot be read, and tries nothing", async () => {
    const s = stubOrt("accept");
    const choice = await chooseProvider({
      runtime: "node",
      cudaDisabled: false,
      probeGraph: () => {
        throw new Error("model tiny has no encoder graph");
      },
      ort: s.ort,
    });
    expect(choice).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason: "the encoder graph to probe CUDA with could not be read: model tiny has no encoder graph",
    });
    expect(s.create).not.toHaveBeenCalled();
  });

  it("does not try when disabled or on onnxruntime-web", async () => {
    const s = stubOrt("accept");
    const probeGraph = vi.fn(() => GRAPH);
    expect(await chooseProvider({ runtime: "node", cudaDisabled: true, probeGraph, ort: s.ort })).toEqual({
      provider: "cpu",
      graphForm: "int",
      reason: "disabled by L3C_DISABLE_CUDA=1",
    });
    expect(
      await chooseProvider({ runtime: "wasm", cudaDisabled: false, probeGraph, ort: s.ort }),
    ).toMatchObject({
      provider: "wasm",
      graphForm: "int",
    });
    expect(probeGraph).not.toHaveBeenCalled();
    expect(s.create).not.toHaveBeenCalled();
  });

  it("probes with a role every model has: shipped and fixture, pyramid and phase4", () => {
    const models = [
      ...listModels(new URL("../../models", import.meta.url).pathname),
      ...listModels(new URL("../../test/fixtures/models", import.meta.url).pathname),
    ];
    const architectures = new Set(models.map((m) => m.manifest.config.rgb_context));
    expect(architectures).toEqual(new Set(["pyramid", "phase4"]));
    for (const m of models) expect(Object.keys(m.manifest.files), m.name).toContain(PROBE_ROLE);
    for (const m of models) expect(Object.keys(m.manifest.files), m.name).toContain(CHECK_ROLE);
  });
});
