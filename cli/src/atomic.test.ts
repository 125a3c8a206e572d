/**
 * Outputs appear whole or not at all: a write that fails (a file size limit, `ulimit -f`,
 * fails writes as a full disk does, without root) or Ctrl-C leaves no partial file, no
 * temporary file, and an output that --force was replacing as it was.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { BIN, l3c, tempDir, writePng } from "./testing.js";

let dir = "";
const OLD = "the previous output, which --force was to replace";

beforeAll(async () => {
  dir = tempDir();
  await writePng(join(dir, "a.png"), syntheticImage(96, 80, 3, 41));
});

/** Everything in `dir` whose name marks a temporary file. */
const temporaries = () => readdirSync(dir).filter((n) => n.endsWith(".tmp"));

describe("l3c writes atomically", () => {
  it("a failed write (file size limit) leaves no partial output and no temporary file", () => {
    // 4 blocks of 512 bytes: less than the stream
    const r = l3c(["encode", join(dir, "a.png"), "-o", join(dir, "big.l3c"), "-q"], { fileBlocks: 4 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot write ${join(dir, "big.l3c")} (EFBIG: file too large)`);
    expect(existsSync(join(dir, "big.l3c"))).toBe(false);
    expect(temporaries()).toEqual([]);
  });

  it("a failed write over an existing output with --force leaves the old file as it was", () => {
    writeFileSync(join(dir, "kept.l3c"), OLD);
    const r = l3c(["encode", join(dir, "a.png"), "-o", join(dir, "kept.l3c"), "--force", "-q"], {
      fileBlocks: 4,
    });
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "kept.l3c"), "utf8")).toBe(OLD);
    expect(temporaries()).toEqual([]);
  });

  it.skipIf(!existsSync("/dev/full"))("-o /dev/full (a full disk): the input fails with the reason", () => {
    const r = l3c(["encode", join(dir, "a.png"), "-o", "/dev/full", "-q"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot write /dev/full (ENOSPC: no space left on device)");
  });

  it("Ctrl-C while the output is being written removes the temporary file and ends by SIGINT", () => {
    // A real SIGINT, sent when the CLI syncs its temporary file (the bytes are on disk then).
    const hook = join(dir, "sigint-on-sync.mjs");
    writeFileSync(
      hook,
      `import { open } from "node:fs/promises";
const fh = await open(${JSON.stringify(join(dir, "a.png"))});
Object.getPrototypeOf(fh).sync = function () {
  process.kill(process.pid, "SIGINT");
  return new Promise((resolve) => setTimeout(resolve, 60_000)); // a slow disk
};
await fh.close();
`,
    );
    writeFileSync(join(dir, "replaced.l3c"), OLD);
    const r = spawnSync(
      process.execPath,
      ["--import", hook, BIN, "encode", join(dir, "a.png"), "-o", join(dir, "replaced.l3c"), "--force", "-q"],
      {
        encoding: "utf8",
        timeout: 120_000,
        env: {
          ...process.env,
          L3C_MODELS_DIR: new URL("../../test/fixtures/models", import.meta.url).pathname,
        },
      },
    );
    expect(r.signal, r.stderr).toBe("SIGINT");
    expect(readFileSync(join(dir, "replaced.l3c"), "utf8")).toBe(OLD);
    expect(temporaries()).toEqual([]);
  });
});
