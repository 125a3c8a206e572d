import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "shared/**/*.test.ts",
      "edge/**/*.test.ts",
      "gpu-backend/**/*.test.ts",
      "test/**/*.test.ts",
      "infra/**/*.test.ts",
      "web/**/*.test.ts",
    ],
    testTimeout: 120_000,
    pool: "forks",
  },
});
