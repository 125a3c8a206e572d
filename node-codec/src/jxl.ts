/**
 * @module jxl
 * Lossless JPEG XL with libjxl's own tools (`cjxl -d 0`, `djxl`; Debian's libjxl-tools,
 * which the set-up and the backend image install): sharp's prebuilt libvips has no JPEG
 * XL, and libjxl's wasm builds on npm are single-threaded and several times slower than
 * the native tools. Every file is decoded again with djxl and compared with the pixels it
 * was made from before it is returned, so a JPEG XL that is not lossless is never served.
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { L3cError } from "../../shared/errors.js";
import type { RawImage } from "../../shared/image.js";

const run = promisify(execFile);

/** cjxl's effort (1-9; 7 is its default and what `npm run bench` compares against). */
export const JXL_EFFORT = 7;

function tool(name: string, e: unknown): L3cError {
  if ((e as NodeJS.ErrnoException).code === "ENOENT")
    return new L3cError("INTERNAL", `JPEG XL needs ${name} (Debian: libjxl-tools)`);
  return new L3cError(
    "INTERNAL",
    `${name} failed: ${String((e as { stderr?: string }).stderr ?? e).slice(0, 200)}`,
  );
}

/** Whether djxl's PPM/PGM holds the same size and samples (headers may be spelt differently). */
function samePnm(pnm: Uint8Array, decoded: Buffer, img: RawImage): boolean {
  const m = /^P([56])\s+(\d+)\s+(\d+)\s+255\s/.exec(decoded.subarray(0, 64).toString("latin1"));
  if (!m || Number(m[2]) !== img.width || Number(m[3]) !== img.height) return false;
  const n = img.width * img.height * (m[1] === "5" ? 1 : 3);
  if (decoded.length !== m[0].length + n || pnm.length < n) return false;
  return Buffer.from(pnm.buffer, pnm.byteOffset + pnm.length - n, n).equals(decoded.subarray(m[0].length));
}

/**
 * The image as a lossless JPEG XL file, checked to decode to its pixels. `pnm` is the
 * same image as binary PPM/PGM (what cjxl reads exactly, 8-bit, no colour management).
 */
export async function encodeJxl(pnm: Uint8Array, img: RawImage, effort = JXL_EFFORT): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "l3c-jxl-"));
  const gray = img.channels === 1;
  const input = join(dir, gray ? "in.pgm" : "in.ppm");
  const back = join(dir, gray ? "back.pgm" : "back.ppm");
  const out = join(dir, "out.jxl");
  try {
    await writeFile(input, pnm);
    await run("cjxl", [input, out, "-d", "0", "-e", String(effort), "--quiet"]).catch((e) => {
      throw tool("cjxl", e);
    });
    await run("djxl", [out, back, "--quiet"]).catch((e) => {
      throw tool("djxl", e);
    });
    const [jxl, decoded] = await Promise.all([readFile(out), readFile(back)]);
    if (!samePnm(pnm, decoded, img))
      throw new L3cError("INTERNAL", "cjxl's JPEG XL does not decode to the image's pixels");
    return new Uint8Array(jxl.buffer, jxl.byteOffset, jxl.byteLength);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
