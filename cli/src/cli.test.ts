/** The `l3c` command as a shell user runs it (tiny fixture model via L3C_MODELS_DIR). */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readImage } from "../../node-codec/src/image-io.js";
import { syntheticImage } from "../../test/helpers/left-model.js";

const BIN = new URL("../../bin/l3c.mjs", import.meta.url).pathname;
const env = {
  ...process.env,
  L3C_MODELS_DIR: new URL("../../test/fixtures/models", import.meta.url).pathname,
};
const l3c = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 120_000 });

let dir = "";
const rgb = syntheticImage(90, 70, 3, 4);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "l3c-cli-"));
  await sharp(rgb.data, { raw: { width: 90, height: 70, channels: 3 } })
    .png()
    .toFile(join(dir, "a.png"));
  mkdirSync(join(dir, "batch/sub"), { recursive: true });
  const g = syntheticImage(40, 30, 1, 5);
  await sharp(g.data, { raw: { width: 40, height: 30, channels: 1 } })
    .png()
    .toFile(join(dir, "batch/g.png"));
  await sharp(rgb.data, { raw: { width: 90, height: 70, channels: 3 } })
    .webp({ lossless: true })
    .toFile(join(dir, "batch/sub/c.webp"));
  writeFileSync(join(dir, "batch/notes.txt"), "not an image");
  writeFileSync(join(dir, "fake.png"), "not an image either");
});

describe("l3c CLI", () => {
  it("encodes, verifies, reports info and decodes back to identical pixels", async () => {
    const enc = l3c("encode", join(dir, "a.png"), "-o", join(dir, "a.l3c"), "--tile-size", "64", "-q");
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    const info = l3c("info", join(dir, "a.l3c"), "--json");
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      width: 90,
      height: 70,
      layout: "rgb8",
      tiles: 4,
      modelName: "tiny",
    });
    for (const ext of ["png", "webp", "ppm"]) {
      const out = join(dir, `back-a.${ext}`);
      const dec = l3c("decode", join(dir, "a.l3c"), "-o", out, "--runtime", ext === "webp" ? "wasm" : "node");
      expect(dec.status, dec.stderr).toBe(0);
      expect((await readImage(out)).data).toEqual(rgb.data);
    }
  });

  it("--core picks the entropy coder: every core writes and reads the same bytes", () => {
    const ref = readFileSync(join(dir, "a.l3c"));
    for (const core of ["ts", "wasm", "wasm-simd"]) {
      const out = join(dir, `a-${core}.l3c`);
      const enc = l3c("encode", join(dir, "a.png"), "-o", out, "--tile-size", "64", "--core", core, "-q");
      expect(enc.status, enc.stderr).toBe(0);
      expect(readFileSync(out).equals(ref), core).toBe(true);
      const dec = l3c(
        "decode",
        out,
        "-o",
        join(dir, `a-${core}.ppm`),
        "--core",
        core,
        "--workers",
        "0",
        "-q",
      );
      expect(dec.status, dec.stderr).toBe(0);
    }
  });

  it("batch-encodes a folder, skipping what is not an image, and decodes it", () => {
    const enc = l3c("encode", join(dir, "batch"), "-o", join(dir, "out"), "--tile-size", "64");
    expect(enc.status, enc.stderr).toBe(0);
    expect(enc.stderr).toContain("encoded 2/2 files");
    const dec = l3c("decode", join(dir, "out"), "-o", join(dir, "back"), "--format", "png", "-q");
    expect(dec.status, dec.stderr).toBe(0);
    expect(readFileSync(join(dir, "back/sub/c.png")).length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "back/g.png")).length).toBeGreaterThan(0);
  });

  it("exits 1 with a message naming the file for bad inputs, and goes on with the others", () => {
    const r = l3c("encode", join(dir, "fake.png"), join(dir, "a.png"), "-o", join(dir, "mixed"), "-q");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("fake.png: unsupported image");
    expect(readFileSync(join(dir, "mixed/a.l3c")).length).toBeGreaterThan(0);
    const bytes = readFileSync(join(dir, "a.l3c"));
    writeFileSync(join(dir, "cut.l3c"), bytes.subarray(0, bytes.length - 10));
    const d = l3c("decode", join(dir, "cut.l3c"), "-o", join(dir, "cut.png"));
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/cut\.l3c: stream is truncated.*\[TRUNCATED\]/);
  });

  it("exits 2 on usage errors", () => {
    expect(l3c().status).toBe(2);
    expect(l3c("frobnicate", "x").status).toBe(2);
    const t = l3c("encode", join(dir, "a.png"), "--tile-size", "65");
    expect(t.status).toBe(2);
    expect(t.stderr).toContain(
      "l3c: Expected multiple of 8 between 64 and 4096 for --tile-size but received 65 of type number",
    );
    const w = l3c("encode", join(dir, "a.png"), "--workers", "many");
    expect(w.status).toBe(2);
    expect(w.stderr).toContain(
      "l3c: Expected integer between 0 and 256 for --workers but received many of type string",
    );
    const c = l3c("decode", join(dir, "a.l3c"), "--core", "simd");
    expect(c.status).toBe(2);
    expect(c.stderr).toContain(
      "l3c: Expected one of ts, wasm, wasm-simd for --core but received simd of type string",
    );
    expect(l3c("encode", join(dir, "missing.png")).stderr).toContain("no such file or folder");
    expect(l3c("decode", join(dir, "a.l3c"), "-o", join(dir, "x.bmp")).status).toBe(1);
    expect(l3c("--help").status).toBe(0);
  });
});
