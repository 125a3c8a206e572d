/**
 * The CUDA probe with stub runtimes that accept or refuse `cuda`, and the role it probes
 * with present in every model (the pyramid models have no `head0`, the role it used to
 * load: the failure was swallowed and a GPU container served from the CPU).
 */
import { describe, expect, it, vi } from "vitest";
import { listModels } from "../../node-codec/src/model-store.js";
import { chooseProvider, PROBE_ROLE, type SessionFactory } from "./provider.js";

const GRAPH = new Uint8Array([1, 2, 3]);

function stubOrt(cuda: "accept" | "refuse") {
  const release = vi.fn(async () => undefined);
  const create = vi.fn(async (_model: Uint8Array, options: { executionProviders: string[] }) => {
    if (cuda === "refuse" && options.executionProviders.includes("cuda"))
      throw new Error("libcudart.so.12: cannot open shared object file");
    return { release };
  });
  const ort: SessionFactory = { InferenceSession: { create } };
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
    });
    expect(choice).toEqual({ provider: "cuda" });
    expect(s.create).toHaveBeenCalledWith(GRAPH, { executionProviders: ["cuda"] });
    expect(s.release).toHaveBeenCalledOnce();
  });

  it("falls back to the CPU and says why when onnxruntime refuses cuda", async () => {
    const s = stubOrt("refuse");
    expect(
      await chooseProvider({ runtime: "node", cudaDisabled: false, probeGraph: () => GRAPH, ort: s.ort }),
    ).toEqual({
      provider: "cpu",
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
      reason: "the encoder graph to probe CUDA with could not be read: model tiny has no encoder graph",
    });
    expect(s.create).not.toHaveBeenCalled();
  });

  it("does not try when disabled or on onnxruntime-web", async () => {
    const s = stubOrt("accept");
    const probeGraph = vi.fn(() => GRAPH);
    expect(await chooseProvider({ runtime: "node", cudaDisabled: true, probeGraph, ort: s.ort })).toEqual({
      provider: "cpu",
      reason: "disabled by L3C_DISABLE_CUDA=1",
    });
    expect(
      (await chooseProvider({ runtime: "wasm", cudaDisabled: false, probeGraph, ort: s.ort })).provider,
    ).toBe("wasm");
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
  });
});
