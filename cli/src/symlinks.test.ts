/** Symbolic links are followed or named, never skipped silently; -o out.l3c is one file. */
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { l3c, tempDir, writePng } from "./testing.js";

let dir = "";

beforeAll(async () => {
  dir = tempDir();
  await writePng(join(dir, "elsewhere.png"), syntheticImage(64, 40, 3, 61));
  mkdirSync(join(dir, "album"));
  await writePng(join(dir, "album/real.png"), syntheticImage(64, 40, 3, 62));
  symlinkSync(join(dir, "elsewhere.png"), join(dir, "album/linked.png"));
  symlinkSync("missing.png", join(dir, "album/broken.png"));
  symlinkSync("loop", join(dir, "loop"));
});

describe("l3c and symbolic links", () => {
  it("follows a link to an image in a folder, and names a broken link as a failed input", () => {
    const r = l3c(["encode", join(dir, "album"), "-o", join(dir, "out"), "--tile-size", "64"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`l3c: ${join(dir, "album/broken.png")}: broken symbolic link to missing.png`);
    expect(r.stderr).toMatch(/encoded 2\/3 files: .*, 1 failed/);
    expect(existsSync(join(dir, "out/linked.l3c"))).toBe(true);
    expect(existsSync(join(dir, "out/real.l3c"))).toBe(true);
  });

  it("a link loop named on the command line is reported as one", () => {
    const r = l3c(["encode", join(dir, "loop")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`l3c: too many levels of symbolic links: ${join(dir, "loop")}`);
    const b = l3c(["encode", join(dir, "album/broken.png")]);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain(`l3c: broken symbolic link to missing.png: ${join(dir, "album/broken.png")}`);
  });

  it("-o out.l3c with several inputs, or a folder, is a usage error, not a folder named out.l3c", () => {
    const two = l3c([
      "encode",
      join(dir, "elsewhere.png"),
      join(dir, "album/real.png"),
      "-o",
      join(dir, "x.l3c"),
    ]);
    expect(two.status).toBe(2);
    expect(two.stderr).toContain(
      `l3c: -o ${join(dir, "x.l3c")} names a file, but there are 2 inputs: name a folder`,
    );
    expect(existsSync(join(dir, "x.l3c"))).toBe(false);
    mkdirSync(join(dir, "one"));
    symlinkSync(join(dir, "elsewhere.png"), join(dir, "one/only.png"));
    const folder = l3c(["encode", join(dir, "one"), "-o", join(dir, "y.l3c")]);
    expect(folder.status).toBe(2);
    expect(existsSync(join(dir, "y.l3c"))).toBe(false);
    const dec = l3c(["decode", join(dir, "out"), "-o", join(dir, "z.png")]);
    expect(dec.status).toBe(2);
    expect(existsSync(join(dir, "z.png"))).toBe(false);
  });
});
