/**
 * @module jxl
 * The samples libjxl's own decoder (djxl, Debian's libjxl-tools) gets from a JPEG XL
 * file: how tests check a JPEG XL answer's pixels (sharp reads no JPEG XL).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** The file's samples (RGB, or gray for a gray file) in row order, without the PNM header. */
export async function djxlPixels(jxl: Uint8Array): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "l3c-djxl-"));
  try {
    writeFileSync(join(dir, "a.jxl"), jxl);
    await promisify(execFile)("djxl", [join(dir, "a.jxl"), join(dir, "a.ppm"), "--quiet"]);
    const pnm = readFileSync(join(dir, "a.ppm"));
    const m = /^P([56])\s+(\d+)\s+(\d+)\s+255\s/.exec(pnm.subarray(0, 64).toString("latin1"));
    if (!m) throw new Error("djxl wrote no binary PNM");
    return new Uint8Array(pnm.subarray(m[0].length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the bytes are a JPEG XL file (a bare codestream or the ISO BMFF container). */
export function isJxl(b: Uint8Array): boolean {
  if (b[0] === 0xff && b[1] === 0x0a) return true;
  const box = [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20];
  return box.every((v, i) => b[i] === v);
}
