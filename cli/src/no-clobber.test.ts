/** No existing file is overwritten without --force, and the input itself never is. */
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readImage } from "../../node-codec/src/image-io.js";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { l3c, tempDir, writePng } from "./testing.js";

let dir = "";
const rgb = syntheticImage(72, 40, 3, 21);
const ORIGINAL = "the user's original photo.png, metadata and all";

beforeAll(async () => {
  dir = tempDir();
  await writePng(join(dir, "a.png"), rgb);
  mkdirSync(join(dir, "s"));
  const enc = l3c(["encode", join(dir, "a.png"), "-o", join(dir, "s/photo.l3c"), "--tile-size", "64", "-q"]);
  expect(enc.status, enc.stderr).toBe(0);
  copyFileSync(join(dir, "s/photo.l3c"), join(dir, "s/other.l3c"));
});

describe("l3c never overwrites without --force", () => {
  it("decode beside the stream: an existing photo.png is named and kept, the other inputs are decoded", async () => {
    writeFileSync(join(dir, "s/photo.png"), ORIGINAL);
    const r = l3c(["decode", join(dir, "s/photo.l3c"), join(dir, "s/other.l3c"), "-q"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `l3c: ${join(dir, "s/photo.l3c")}: ${join(dir, "s/photo.png")} already exists: use --force to overwrite it`,
    );
    expect(readFileSync(join(dir, "s/photo.png"), "utf8")).toBe(ORIGINAL);
    expect((await readImage(join(dir, "s/other.png"))).data).toEqual(rgb.data);
    const f = l3c(["decode", join(dir, "s/photo.l3c"), "--force", "-q"]);
    expect(f.status, f.stderr).toBe(0);
    expect((await readImage(join(dir, "s/photo.png"))).data).toEqual(rgb.data);
  });

  it("encode -o existing.png does not write a stream over the PNG; --force does", () => {
    copyFileSync(join(dir, "a.png"), join(dir, "existing.png"));
    const before = readFileSync(join(dir, "existing.png"));
    const r = l3c(["encode", join(dir, "a.png"), "-o", join(dir, "existing.png"), "-q"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "existing.png")} already exists: use --force to overwrite it`);
    expect(readFileSync(join(dir, "existing.png")).equals(before)).toBe(true);
    const f = l3c(["encode", join(dir, "a.png"), "-o", join(dir, "existing.png"), "--force", "-q"]);
    expect(f.status, f.stderr).toBe(0);
    expect([...readFileSync(join(dir, "existing.png")).subarray(0, 4)]).toEqual([0x89, 0x4c, 0x33, 0x43]);
  });

  it("never writes over the input itself, even with --force, nor through a link to it", () => {
    copyFileSync(join(dir, "a.png"), join(dir, "self.png"));
    symlinkSync(join(dir, "self.png"), join(dir, "self-link.l3c"));
    const before = readFileSync(join(dir, "self.png"));
    for (const out of ["self.png", "self-link.l3c"]) {
      const r = l3c(["encode", join(dir, "self.png"), "-o", join(dir, out), "--force", "-q"]);
      expect(r.status, out).toBe(1);
      expect(r.stderr).toContain(`${join(dir, out)} is the input itself: not overwritten, even with --force`);
      expect(readFileSync(join(dir, "self.png")).equals(before)).toBe(true);
    }
  });
});
