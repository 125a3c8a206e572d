/** A gray image stays gray: coded in the gray8 layout, decoded to a 1-channel PNG. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readImage } from "../../node-codec/src/image-io.js";
import { syntheticImage } from "../../test/helpers/left-model.js";
import { l3c, tempDir, writePng } from "./testing.js";

let dir = "";
const gray = syntheticImage(80, 60, 1, 9);

beforeAll(async () => {
  dir = tempDir();
  await writePng(join(dir, "g.png"), gray);
  // gray + an alpha that is opaque everywhere is gray too
  const ga = new Uint8Array(gray.data.length * 2).fill(255);
  gray.data.forEach((v, i) => {
    ga[2 * i] = v;
  });
  await sharp(ga, { raw: { width: 80, height: 60, channels: 2 } })
    .toColourspace("b-w")
    .png()
    .toFile(join(dir, "ga.png"));
});

describe("l3c gray images", () => {
  it("encodes a gray PNG in the gray8 layout and decodes it to a gray PNG", async () => {
    expect((await sharp(join(dir, "g.png")).metadata()).channels).toBe(1);
    const enc = l3c(["encode", join(dir, "g.png"), "--tile-size", "64", "-q"]);
    expect(enc.status, enc.stderr).toBe(0);
    const info = l3c(["info", join(dir, "g.l3c"), "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ layout: "gray8", width: 80, height: 60 });
    const dec = l3c(["decode", join(dir, "g.l3c"), "-o", join(dir, "back.png"), "-q"]);
    expect(dec.status, dec.stderr).toBe(0);
    const meta = await sharp(join(dir, "back.png")).metadata();
    expect(meta).toMatchObject({ channels: 1, space: "b-w" });
    const back = await readImage(join(dir, "back.png"));
    expect(back.channels).toBe(1);
    expect(back.data).toEqual(gray.data);
    // and a PGM (P5) for .ppm/.pgm
    const pgm = l3c(["decode", join(dir, "g.l3c"), "-o", join(dir, "back.pgm"), "-q"]);
    expect(pgm.status, pgm.stderr).toBe(0);
    expect(readFileSync(join(dir, "back.pgm")).subarray(0, 2).toString()).toBe("P5");
  });

  it("codes gray with an opaque alpha as gray", () => {
    const enc = l3c(["encode", join(dir, "ga.png"), "--tile-size", "64", "-q"]);
    expect(enc.status, enc.stderr).toBe(0);
    expect(JSON.parse(l3c(["info", join(dir, "ga.l3c"), "--json"]).stdout).layout).toBe("gray8");
  });
});
