/** --resume skips outputs that already hold their input, counts them, and refuses stale ones. */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { l3c, tempDir, writePng } from "./testing.js";

let dir = "";

beforeAll(async () => {
  dir = tempDir();
  mkdirSync(join(dir, "in"));
  await writePng(join(dir, "in/a.png"), syntheticImage(70, 50, 3, 51));
  await writePng(join(dir, "in/b.png"), syntheticImage(70, 50, 4, 52));
  await writePng(join(dir, "in/g.png"), syntheticImage(70, 50, 1, 53));
});

const encode = (...more: string[]) =>
  l3c(["encode", join(dir, "in"), "-o", join(dir, "out"), "--tile-size", "64", ...more]);

describe("l3c --resume", () => {
  it("encode: skips streams that hold their input, codes the missing one, counts both", () => {
    expect(encode().status).toBe(0);
    const aTime = statSync(join(dir, "out/a.l3c")).mtimeMs;
    rmSync(join(dir, "out/b.l3c"));
    const r = encode("--resume");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/encoded 1\/3 files: \d+ -> \d+ bytes, [\d.]+ bpsp, 2 skipped \(already done\)/);
    expect(statSync(join(dir, "out/a.l3c")).mtimeMs).toBe(aTime);
    expect(statSync(join(dir, "out/b.l3c")).size).toBeGreaterThan(0);
  });

  it("encode without --resume or --force: every existing output is a failure, none is touched", () => {
    const r = encode();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("encoded 0/3 files: 0 -> 0 bytes, 0.0000 bpsp, 3 failed");
    expect(r.stderr).toContain(`${join(dir, "out/g.l3c")} already exists: use --force to overwrite it`);
  });

  it("encode: a stream of other pixels (or another tile size) is not done; --force replaces it", async () => {
    await writePng(join(dir, "in/a.png"), syntheticImage(70, 50, 3, 99));
    const r = encode("--resume");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, "out/a.l3c")} already exists and is not ${join(dir, "in/a.png")} coded with model tiny in tiles of 64: use --force to replace it`,
    );
    expect(r.stderr).toContain(
      "encoded 0/3 files: 0 -> 0 bytes, 0.0000 bpsp, 2 skipped (already done), 1 failed",
    );
    const f = encode("--resume", "--force");
    expect(f.status, f.stderr).toBe(0);
    expect(f.stderr).toMatch(/encoded 1\/3 files: .*, 2 skipped \(already done\)$/m);
    const tiles = l3c(["encode", join(dir, "in"), "-o", join(dir, "out"), "--tile-size", "128", "--resume"]);
    expect(tiles.status).toBe(1);
    expect(tiles.stderr).toContain("in tiles of 128: use --force to replace it");
    expect(tiles.stderr).toContain("encoded 0/3 files: 0 -> 0 bytes, 0.0000 bpsp, 3 failed");
  });

  it("decode: skips images that hold the stream's pixels, refuses one that does not", async () => {
    const dec = (...more: string[]) => l3c(["decode", join(dir, "out"), "-o", join(dir, "back"), ...more]);
    expect(dec().status).toBe(0);
    const r = dec("--resume");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("decoded 0/3 files, 3 skipped (already done)");
    const other = readFileSync(join(dir, "back/a.png"));
    writeFileSync(join(dir, "back/b.png"), other);
    const m = dec("--resume");
    expect(m.status).toBe(1);
    expect(m.stderr).toContain(
      `${join(dir, "back/b.png")} already exists and does not hold the pixels of ${join(dir, "out/b.l3c")}: use --force to replace it`,
    );
    expect(m.stderr).toContain("decoded 0/3 files, 2 skipped (already done), 1 failed");
  });
});
