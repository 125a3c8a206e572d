import { describe, expect, it } from "vitest";
import { loadEdgeConfig } from "./config.js";

const env = {
  ALLOWED_BUCKETS: "images",
  ORIGIN: "r2",
  BACKEND_URL: "http://backend.test",
  BACKEND_TOKEN: "t".repeat(20),
  // a stand-in for the Durable Object namespace binding (only its shape is checked here)
  KEY_FLIGHT: { idFromName: () => undefined },
};

describe("edge configuration", () => {
  it("asks the backend for MODEL_ID's model, and for its own default when MODEL_ID is default or unset", () => {
    expect(loadEdgeConfig({ ...env, MODEL_ID: "l3c-fast-v1" })).toMatchObject({
      modelId: "l3c-fast-v1",
      model: "l3c-fast-v1",
    });
    for (const MODEL_ID of ["default", undefined]) {
      const c = loadEdgeConfig({ ...env, MODEL_ID });
      expect(c.modelId).toBe("default");
      expect(c.model).toBeUndefined();
    }
  });
});
