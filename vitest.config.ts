import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 120_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: [
            "shared/**/*.test.ts",
            "edge/**/*.test.ts",
            "gpu-backend/**/*.test.ts",
            "test/**/*.test.ts",
            "infra/**/*.test.ts",
            "web/src/**/*.test.ts",
          ],
        },
      },
      {
        // Real Chromium (web/test): after the rest, so that a browser and its wasm
        // workers do not share the 2 cores with the timing-sensitive tests.
        extends: true,
        test: { name: "browser", include: ["web/test/**/*.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
