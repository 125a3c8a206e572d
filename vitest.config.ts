import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 120_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          // Unit tests beside the code of every room; tests across tiers in test/.
          include: [
            "{shared,node-codec,cli,gpu-backend,hooks,edge,web,infra,scripts}/**/*.test.ts",
            "test/**/*.test.ts",
          ],
          exclude: [...configDefaults.exclude, "test/web/**"],
        },
      },
      {
        // Real Chromium (test/web): after the rest, so that a browser and its wasm
        // workers do not share the 2 cores with the timing-sensitive tests.
        extends: true,
        test: { name: "browser", include: ["test/web/**/*.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
