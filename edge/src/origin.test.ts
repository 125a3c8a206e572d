/**
 * The R2 origin against Miniflare's R2 (workerd's implementation of the binding): a stream
 * is created only where none exists, and replaced only if it is still the one read.
 */
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EdgeConfig, EdgeEnv } from "./config.js";
import { createOrigin, type Origin } from "./origin.js";

let mf: Miniflare;
let origin: Origin;

beforeAll(async () => {
  mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: "export default { fetch() { return new Response(null); } }",
      compatibilityDate: "2026-11-17",
      r2Buckets: ["BUCKET_IMAGES"],
    }),
  );
  const env = { BUCKET_IMAGES: await mf.getR2Bucket("BUCKET_IMAGES") } as unknown as EdgeEnv;
  origin = createOrigin({ origin: "r2", originTimeoutMs: 10_000 } as EdgeConfig, env);
});
afterAll(async () => {
  await mf?.dispose();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = async (key: string) => new TextDecoder().decode((await origin.get("images", key))?.body);

describe("R2 origin", () => {
  it("creates an object only where none exists: a stream stored first is never overwritten", async () => {
    await origin.put("images", "a.png.l3c", bytes("hook's"), "image/vnd.l3c", {});
    await origin.put("images", "a.png.l3c", bytes("edge's"), "image/vnd.l3c", {});
    expect(await text("a.png.l3c")).toBe("hook's");
  });

  it("replaces an object only if it is still the one read", async () => {
    await origin.put("images", "b.png.l3c", bytes("stale"), "image/vnd.l3c", {});
    const read = await origin.get("images", "b.png.l3c");
    await origin.put("images", "b.png.l3c", bytes("newer, by the hook"), "image/vnd.l3c", {}, undefined);
    expect(await text("b.png.l3c")).toBe("stale");
    await origin.put(
      "images",
      "b.png.l3c",
      bytes("fresh"),
      "image/vnd.l3c",
      { "source-etag": "x" },
      read?.etag,
    );
    expect(await text("b.png.l3c")).toBe("fresh");
    expect((await origin.get("images", "b.png.l3c"))?.metadata["source-etag"]).toBe("x");
    await origin.put("images", "b.png.l3c", bytes("late"), "image/vnd.l3c", {}, read?.etag);
    expect(await text("b.png.l3c")).toBe("fresh");
  });
});
