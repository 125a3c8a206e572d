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
import { encodePnm, parsePnm } from "./pnm.js";

const run = promisify(execFile);

/**
 * cjxl's effort (1-9) for an image of `pixels`: 7 (its default, what `npm run bench`
 * compares against) up to JXL_FAST_PIXELS, 3 above. Effort 7 runs at about 0.5 MP/s per
 * core on the development machine, so a 12 MP photo's first request would wait half a
 * minute or more for it; effort 3 is about 10x faster and about 8% larger (Kodak: 3.146
 * against 2.902 bpsp), still smaller than WebP lossless (3.180).
 */
export function jxlEffort(pixels: number): number {
  return pixels <= JXL_FAST_PIXELS ? 7 : 3;
}

export const JXL_FAST_PIXELS = 4_000_000;

function tool(name: string, e: unknown): L3cError {
  if ((e as NodeJS.ErrnoException).code === "ENOENT")
    return new L3cError("INTERNAL", `JPEG XL needs ${name} (Debian: libjxl-tools)`);
  return new L3cError(
    "INTERNAL",
    `${name} failed: ${String((e as { stderr?: string }).stderr ?? e).slice(0, 200)}`,
  );
}

/** The image as a lossless JPEG XL file, checked to decode to its pixels. */
export async function encodeJxl(
  img: RawImage,
  effort = jxlEffort(img.width * img.height),
): Promise<Uint8Array> {
  // binary PPM/PGM: what cjxl reads exactly (8-bit, no colour management)
  const pnm = encodePnm(img);
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
    const want = parsePnm(pnm)!;
    const got = parsePnm(decoded);
    const same =
      got?.width === want.width &&
      got.height === want.height &&
      got.channels === want.channels &&
      Buffer.from(got.data).equals(Buffer.from(want.data));
    if (!same) throw new L3cError("INTERNAL", "cjxl's JPEG XL does not decode to the image's pixels");
    return new Uint8Array(jxl.buffer, jxl.byteOffset, jxl.byteLength);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
