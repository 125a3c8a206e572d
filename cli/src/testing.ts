/**
 * @module testing
 * The `l3c` command as a shell user runs it, for the CLI's tests: the real `bin/l3c.mjs`
 * in a child process, with the tiny fixture model (L3C_MODELS_DIR).
 */

import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import type { RawImage } from "../../shared/image.js";

export const BIN = new URL("../../bin/l3c.mjs", import.meta.url).pathname;

const env = {
  ...process.env,
  L3C_MODELS_DIR: new URL("../../test/fixtures/models", import.meta.url).pathname,
};

/** Runs `l3c args...`; `fileBlocks` caps the size of any file it writes (sh's `ulimit -f`, 512-byte blocks). */
export function l3c(args: string[], opts: { fileBlocks?: number } = {}): SpawnSyncReturns<string> {
  const o = { env, encoding: "utf8" as const, timeout: 120_000 };
  if (opts.fileBlocks === undefined) return spawnSync(process.execPath, [BIN, ...args], o);
  const sh = `ulimit -f ${opts.fileBlocks} && exec "$0" "$@"`;
  return spawnSync("sh", ["-c", sh, process.execPath, BIN, ...args], o);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "l3c-cli-"));
}

/** Writes `img` losslessly; a 1-channel image as a gray PNG (sharp writes RGB unless told). */
export async function writePng(path: string, img: RawImage): Promise<void> {
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  await (img.channels === 1 ? s.toColourspace("b-w") : s).png().toFile(path);
}
