/**
 * The Lambda deployment package: the bundle loads from its own folder (sharp from the
 * copied node_modules), exports `handler`, and answers an SQS batch without network.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildLambda } from "./build-lambda.js";

const out = mkdtempSync(join(tmpdir(), "l3c-lambda-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const hasZip = spawnSync("zip", ["-v"]).status === 0;

describe.skipIf(platform() !== "linux" || arch() !== "x64")("build:lambda", () => {
  it("bundles the hook with sharp into a zip whose handler runs", async () => {
    const r = await buildLambda(out, hasZip);
    // a fresh process, so nothing resolves from this checkout's node_modules by accident
    const probe = `
      const { handler } = await import(${JSON.stringify(join(r.dir, "index.mjs"))});
      const { createRequire } = await import("node:module");
      const req = createRequire(${JSON.stringify(join(r.dir, "index.mjs"))});
      if (!req.resolve("sharp").startsWith(${JSON.stringify(r.dir)})) throw new Error("sharp from outside the package");
      const sharp = req("sharp");
      const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: "#000" } }).png().toBuffer();
      const out = await handler({ Records: [
        { messageId: "t", eventSource: "aws:sqs", body: JSON.stringify({ Event: "s3:TestEvent" }) },
        { messageId: "bad", eventSource: "aws:sqs", body: "{" },
      ] });
      console.log(JSON.stringify({ out, png: png.length > 0 }));`;
    const res = execFileSync(process.execPath, ["--input-type=module", "-e", probe], {
      cwd: r.dir,
      env: {
        ...process.env,
        NODE_PATH: "",
        L3C_BACKEND_URL: "http://127.0.0.1:9",
        L3C_BACKEND_TOKEN: "lambda-test-token-0123",
      },
    }).toString();
    expect(JSON.parse(res)).toEqual({ out: { batchItemFailures: [{ itemIdentifier: "bad" }] }, png: true });
    if (hasZip) {
      const list = execFileSync("unzip", ["-l", r.zip!]).toString();
      expect(list).toContain("index.mjs");
      expect(list).toContain("node_modules/@img/sharp-linux-x64/");
    }
  });
});
