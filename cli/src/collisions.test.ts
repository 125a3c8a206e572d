/** Two inputs never write one output: the run stops before coding and names them. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { l3c, tempDir, writePng } from "./testing.js";

let dir = "";
const rgb = syntheticImage(64, 40, 3, 31);

beforeAll(async () => {
  dir = tempDir();
  mkdirSync(join(dir, "photos"));
  await writePng(join(dir, "photos/dup.png"), rgb);
  await sharp(rgb.data, { raw: { width: 64, height: 40, channels: 3 } })
    .jpeg()
    .toFile(join(dir, "photos/dup.jpg"));
  await writePng(join(dir, "photos/keep.png"), rgb);
});

describe("l3c output collisions", () => {
  it("dup.png and dup.jpg in one folder: exit 2 naming both, nothing coded or written", () => {
    const r = l3c(["encode", join(dir, "photos"), "-o", join(dir, "out")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("inputs would overwrite each other's output (nothing was coded)");
    expect(r.stderr).toContain(
      `${join(dir, "out/dup.l3c")} <- ${join(dir, "photos/dup.jpg")}, ${join(dir, "photos/dup.png")}`,
    );
    expect(existsSync(join(dir, "out"))).toBe(false);
    const beside = l3c(["encode", join(dir, "photos")]);
    expect(beside.status).toBe(2);
    expect(beside.stderr).toContain(`${join(dir, "photos/dup.l3c")} <- `);
    expect(existsSync(join(dir, "photos/keep.l3c"))).toBe(false);
  });

  it("the summary counts only what was written: an input whose output exists is a failure", async () => {
    mkdirSync(join(dir, "two"));
    await writePng(join(dir, "two/x.png"), rgb);
    await writePng(join(dir, "two/y.png"), rgb);
    mkdirSync(join(dir, "two-out"));
    writeFileSync(join(dir, "two-out/y.l3c"), "someone else's file");
    const r = l3c(["encode", join(dir, "two"), "-o", join(dir, "two-out"), "--tile-size", "64"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/encoded 1\/2 files: \d+ -> \d+ bytes, [\d.]+ bpsp, 1 failed/);
  });
});
