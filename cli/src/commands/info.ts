/**
 * @module commands/info
 * `l3c info <file.l3c|folder>... [--json]`: what a stream's header says (size, layout,
 * model, tiles, bpsp), without decoding it.
 */

import { readFileSync } from "node:fs";
import { listModels } from "../../../node-codec/src/model-store.js";
import { bitsPerSubpixel, LAYOUT_NAMES, parseHeader, TileMode } from "../../../shared/format.js";
import { describe, InputError } from "../errors.js";
import { expandInputs, STREAM_EXTS } from "../inputs.js";

export async function cmdInfo(args: string[], json: boolean): Promise<number> {
  const names = new Map(listModels().map((m) => [m.id, m.name]));
  let failed = 0;
  for (const { path, problem } of await expandInputs(args, STREAM_EXTS)) {
    try {
      if (problem) throw new InputError(problem);
      const bytes = new Uint8Array(readFileSync(path));
      const h = parseHeader(bytes);
      const coded = h.tiles.filter((t) => bytes[t.offset] === TileMode.CODED).length;
      const info = {
        file: path,
        version: h.version,
        width: h.width,
        height: h.height,
        layout: LAYOUT_NAMES[h.layout],
        model: h.modelHash,
        modelName: names.get(h.modelHash) ?? (h.modelId.every((b) => b === 0) ? "none" : "unknown"),
        tileSize: h.tileSize,
        tiles: h.tileCount,
        codedTiles: coded,
        storedTiles: h.tileCount - coded,
        bytes: bytes.length,
        headerBytes: h.headerSize,
        bpsp: bitsPerSubpixel(bytes.length, h),
      };
      if (json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        process.stdout.write(
          `${path}\n  ${info.width}x${info.height} ${info.layout}, format v${info.version}\n` +
            `  model ${info.model} (${info.modelName})\n` +
            `  ${info.tiles} tiles of ${info.tileSize} (${coded} coded, ${info.storedTiles} stored)\n` +
            `  ${info.bytes} bytes (header ${info.headerBytes}), ${info.bpsp.toFixed(4)} bpsp\n`,
        );
      }
    } catch (e) {
      failed++;
      process.stderr.write(`l3c: ${path}: ${describe(e)}\n`);
    }
  }
  return failed ? 1 : 0;
}
