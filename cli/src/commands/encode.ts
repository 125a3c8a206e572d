/**
 * @module commands/encode
 * `l3c encode <image|folder>...`: images to `.l3c` streams, verified by default. Outputs
 * are planned (plan.ts) and written (output.ts) so that no file is ever overwritten
 * without --force; --resume skips outputs that already hold their input (resume.ts).
 */

import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { Codec } from "../../../node-codec/src/codec.js";
import { readImage } from "../../../node-codec/src/image-io.js";
import { bitsPerSubpixel, DEFAULT_TILE_SIZE, subpixels } from "../../../shared/format.js";
import { OutputError, UsageError } from "../errors.js";
import { expandInputs, IMAGE_EXTS } from "../inputs.js";
import { jobTarget, writeOutput } from "../output.js";
import { planOutputs } from "../plan.js";
import { Progress } from "../progress.js";
import { streamIsCurrent } from "../resume.js";
import { type RuntimeFlags, runtimeOptions } from "../runtime-flags.js";
import { Tally } from "../tally.js";

export interface EncodeFlags extends RuntimeFlags {
  tileSize?: number;
  model?: string;
  verify: boolean;
  force: boolean;
  resume: boolean;
  quiet: boolean;
}

export async function cmdEncode(
  args: string[],
  output: string | undefined,
  opt: EncodeFlags,
): Promise<number> {
  const inputs = await expandInputs(args, IMAGE_EXTS);
  if (!inputs.length) throw new UsageError("no images found");
  const { jobs } = planOutputs(inputs, output, ".l3c");
  const codec = await Codec.create(runtimeOptions(opt));
  const entry = codec.model(opt.model);
  const tileSize = opt.tileSize ?? DEFAULT_TILE_SIZE;
  const single = jobs.length === 1;
  const tally = new Tally("encode", jobs.length, opt.quiet);
  const say = (line: string) => single && !opt.quiet && process.stderr.write(`${line}\n`);
  let inBytes = 0;
  let outBytes = 0;
  let codedSubpixels = 0;
  try {
    for (const [i, job] of jobs.entries()) {
      const { path, out } = job;
      try {
        const target = jobTarget(job, opt);
        const img = await readImage(path);
        if (target === "exists" && opt.resume) {
          if (streamIsCurrent(new Uint8Array(readFileSync(out)), img, entry.id, tileSize)) {
            tally.skipped++;
            say(`${path} -> ${out}: already done (matches), skipped`);
            continue;
          }
          if (!opt.force) {
            throw new OutputError(
              "MISMATCH",
              out,
              `${out} already exists and is not ${path} coded with model ${entry.name} in tiles of ${tileSize}: use --force to replace it`,
            );
          }
        }
        const tileBar = single ? new Progress(`  ${basename(path)} tiles`, 1, opt.quiet) : undefined;
        const r = await codec.encode(img, {
          model: entry.id,
          tileSize,
          verify: opt.verify,
          onProgress: tileBar ? (d, t) => tileBar.update(d, "", t) : undefined,
        });
        tileBar?.done();
        await writeOutput(out, r.bytes, { input: path, force: opt.force });
        tally.done++;
        inBytes += statSync(path).size;
        outBytes += r.bytes.length;
        codedSubpixels += subpixels(img);
        const bpsp = bitsPerSubpixel(r.bytes.length, img).toFixed(4);
        say(`${path} -> ${out}: ${r.bytes.length} bytes, ${bpsp} bpsp${opt.verify ? ", verified" : ""}`);
      } catch (e) {
        tally.fail(path, e);
      } finally {
        tally.bar.update(i + 1, `${(outBytes / 1e6).toFixed(1)} MB written`);
      }
    }
  } finally {
    tally.bar.done();
    await codec.close();
  }
  if (!single && !opt.quiet) {
    const bpsp = ((outBytes * 8) / Math.max(1, codedSubpixels)).toFixed(4);
    process.stderr.write(`${tally.summary("encoded", `${inBytes} -> ${outBytes} bytes, ${bpsp} bpsp`)}\n`);
  }
  return tally.status;
}
